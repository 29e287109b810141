import Testing

@testable import TaskQueue

/// What the spool's rescan remembers of skipped files, within its capacity.
@Suite struct SkipCacheTests {
    static func fingerprint(_ inode: UInt64) -> FileFingerprint {
        FileFingerprint(device: 1, inode: inode, size: 10, modificationSeconds: 0, modificationNanoseconds: 0)
    }

    /// Two names Swift's `==` takes for one (a precomposed `é`, and `e` with a combining acute)
    /// are two files, each with its own entry.
    @Test func namesAreKeptByTheirBytes() {
        var cache = SkipCache(capacity: 4)
        cache.insert("\u{E9}.json", fingerprint: Self.fingerprint(1))
        #expect(cache.fingerprint(of: "\u{E9}.json") == Self.fingerprint(1))
        #expect(cache.fingerprint(of: "e\u{301}.json") == nil)
        cache.insert("e\u{301}.json", fingerprint: Self.fingerprint(2))
        #expect(cache.count == 2)
        cache.remove("e\u{301}.json")
        #expect(cache.fingerprint(of: "\u{E9}.json") == Self.fingerprint(1))
    }

    /// More skipped files than it holds, walked in the same order every pass (as the rescan
    /// walks a directory): those it holds are never read again, only the others are, at each pass.
    @Test func pastItsCapacityOnlyTheFilesBeyondItAreReadAgain() {
        let names = (0..<8).map { "task-\($0).json" }
        var cache = SkipCache(capacity: 4)
        var reads = 0
        for _ in 0..<3 {
            cache.beginPass()
            for (index, name) in names.enumerated() {
                if cache.fingerprint(of: name) == Self.fingerprint(UInt64(index)) {
                    cache.touch(name)
                } else {
                    reads += 1
                    cache.insert(name, fingerprint: Self.fingerprint(UInt64(index)))
                }
            }
            cache.endPass()
        }
        #expect(cache.count == 4)
        #expect(reads == 8 + 4 + 4, "every file in the first pass, then the four beyond the capacity")
    }

    /// Room comes back as skipped files go: a pass that no longer sees a name forgets it.
    @Test func aFileGoneMakesRoomAtTheEndOfAPass() {
        var cache = SkipCache(capacity: 2)
        cache.beginPass()
        cache.insert("a.json", fingerprint: Self.fingerprint(1))
        cache.insert("b.json", fingerprint: Self.fingerprint(2))
        cache.insert("c.json", fingerprint: Self.fingerprint(3))
        cache.endPass()
        #expect(cache.fingerprint(of: "c.json") == nil)
        cache.beginPass()
        cache.touch("b.json")
        cache.endPass()
        #expect(cache.count == 1)
        cache.insert("c.json", fingerprint: Self.fingerprint(3))
        #expect(cache.fingerprint(of: "c.json") == Self.fingerprint(3))
        // A name it holds is updated whatever the count.
        cache.insert("b.json", fingerprint: Self.fingerprint(4))
        #expect(cache.fingerprint(of: "b.json") == Self.fingerprint(4))
    }
}
