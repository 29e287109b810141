import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

@Suite struct SpoolWatcherTests {
    /// A prepared spool in a new directory and its watcher, running: the rescan runs once at
    /// start (on an empty directory) and then not for an hour, so only inotify can explain a
    /// notice in `body`.
    func withWatcherOnAnEmptySpool(_ body: (TestDirectory, Spool, SpoolWatcher) async throws -> Void) async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        try await Task.sleep(for: .milliseconds(200))
        try await body(dir, spool, watcher)
    }

    @Test func inotifyNoticesARenamedInTaskWithinMilliseconds() async throws {
        try await withWatcherOnAnEmptySpool { dir, _, watcher in
            let producer = SpoolProducer(directory: dir.path)
            try producer.enqueue(id: "fast", data: Data("{}".utf8))
            let name = await nextName(watcher, within: .seconds(90))
            #expect(name == "fast.json")
            // Dotfiles and other suffixes are ignored.
            try writeFile(dir.file("tmp/x"), "{}")
            rename(dir.file("tmp/x"), dir.file("new/.hidden.json"))
            try writeFile(dir.file("new/notes.txt"), "x")
            // inotify reports in order: a name wrongly yielded for those would come before this one.
            try producer.enqueue(id: "sentinel", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(90)) == "sentinel.json")
        }
    }

    /// A task renamed into `new/` under a short name that is not UTF-8 is renamed and offered at
    /// once, as any other, not at the next periodic rescan (an hour here).
    @Test func inotifyNoticesATaskNamedInBytesThatAreNotUTF8() async throws {
        try await withWatcherOnAnEmptySpool { dir, _, watcher in
            try writeFile(dir.file("tmp/staged"), "{}")
            let target = Array(dir.file("new/t").utf8) + [0xff] + Array(".json".utf8)
            let renamed = (target + [0]).withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { rename(dir.file("tmp/staged"), $0.baseAddress!) }
            }
            try #require(renamed == 0)
            #expect(await nextName(watcher, within: .seconds(20)) == "invalid-name-74ff2e6a736f6e.json")
        }
    }

    /// Under a steady flood of events (the queue never below the rescan's share), names dropped
    /// while the queue was full are still found by the rescan and offered behind the names queued
    /// before them: the rescan's pace is its own names pending, not all of them.
    @Test(.timeLimit(.minutes(2))) func namesDroppedInAFloodAreOfferedWhileTheFloodGoesOn() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let core = SpoolWatcher.Core(
            directory: dir.path, rescanInterval: .seconds(3600), skipCacheCapacity: 1024, logger: quietLogger,
            logLimiter: LogRateLimiter(), lanes: BlockingLanes(label: "test", count: 1))
        let queued = SpoolWatcher.Core.eventAhead
        let droppedCount = 3
        // Only the dropped names need files (the rescan lists the directory; the queued names are
        // taken from the queue).
        for index in queued..<(queued + droppedCount) { try writeFile(dir.file("q\(index).json"), "{}") }
        // The last three are dropped: the queue is full.
        for index in 0..<(queued + droppedCount) { core.offerFromEvent("q\(index).json") }
        var dropped = Set((queued..<(queued + droppedCount)).map { "q\($0).json" })
        // The pass queues the dropped names behind those queued before them and ends, though the
        // queue holds far more than the rescan's share (it waited for room there for good).
        let rescan = Task { await core.rescanPass() }
        let passEnded = await eventually(within: .seconds(30)) {
            core.state.withLock { $0.pendingCount } == queued + droppedCount
        }
        #expect(passEnded, "the rescan did not queue the dropped names")
        var fresh = 0
        for _ in 0..<(queued + 2_000) {
            guard let name = await core.next() else { break }
            _ = unlink(dir.file(name))  // claimed: gone from new/
            core.release(name)
            dropped.remove(name)
            if dropped.isEmpty { break }
            // The flood goes on: a new name for every one taken.
            fresh += 1
            core.offerFromEvent("f\(fresh).json")
        }
        #expect(dropped.isEmpty, "not offered within \(queued + 2_000) names: \(dropped)")
        core.stop()
        await rescan.value
    }

    /// The rescan's calls on `new/` (the look at the watch before each pass, the listing) run on
    /// the spool's threads, not the cooperative pool's, which a file system that hangs must not hold.
    @Test(.timeLimit(.minutes(1))) func theRescanRunsOnTheSpoolsThreads() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        try writeFile(dir.file("a.json"), "{}")
        let core = SpoolWatcher.Core(
            directory: dir.path, rescanInterval: .seconds(3600), skipCacheCapacity: 16, logger: quietLogger,
            logLimiter: LogRateLimiter(), lanes: BlockingLanes(label: "test", count: 1))
        let lanes = Mutex<[Int?]>([])
        let loop = Task {
            await core.rescanLoop(beforeEachPass: { lanes.withLock { $0.append(BlockingLanes.currentLane) } })
        }
        #expect(await core.next() == "a.json")
        core.stop()
        await loop.value
        #expect(lanes.withLock { $0 }.first == .some(0), "\(lanes.withLock { $0 })")
    }

    /// A producer renaming files into `new/` faster than the watch reads them makes the kernel
    /// drop events (`IN_Q_OVERFLOW`) once per full queue, for as long as the flood lasts: the
    /// warning is limited like every other one a client can bring about (3 per 10 s), while each
    /// overflow still asks for a rescan.
    @Test(.timeLimit(.minutes(2))) func repeatedInotifyOverflowsAreRateLimited() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let watcher = try SpoolWatcher(
            directory: dir.path, rescanInterval: .seconds(3600), skipCacheCapacity: 1024,
            // One window for the whole test, however long its floods take (a host may allow a far
            // longer inotify queue than Debian's 16,384).
            logger: recorder.logger(), logLimiter: LogRateLimiter(now: { [start = ContinuousClock.now] in start }))
        defer { watcher.stop() }
        let limit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16_384
        try writeFile(dir.file("a.json"), "{}")
        let rounds = 5
        let flood = 2 * (65_536 / 32) + 2_000
        var asked = watcher.core.state.withLock { $0.rescanRequests }
        for _ in 0..<rounds {
            // The watch's reader blocks on the watcher's lock at its first name, so every rename
            // after it waits in the kernel's queue, which overflows (names alternate: no merging).
            // A reader that woke late may first have taken two full reads (64 KiB each, 32 bytes
            // an event) before it blocks: the flood counts them in.
            try watcher.core.state.withLock { _ in
                for index in 0..<(limit + flood) {
                    let (from, to) = index % 2 == 0 ? ("a.json", "b.json") : ("b.json", "a.json")
                    guard rename(dir.file(from), dir.file(to)) == 0 else { throw POSIXError(.EIO) }
                }
            }
            let overflowed = await eventually(within: .seconds(30)) {
                watcher.core.state.withLock { $0.rescanRequests } != asked
            }
            #expect(overflowed, "no rescan asked for after a flood of \(limit + flood) renames")
            asked = watcher.core.state.withLock { $0.rescanRequests }
        }
        let warnings = recorder.records.filter { $0.contains("inotify queue overflowed") }
        #expect(warnings.count == 3, "\(warnings.count) overflow warnings in one window of \(rounds) overflows")
    }

    /// An operator who replaces `new/` (removes it and makes it again) does not leave the watch on
    /// the old directory: the next pass (asked for by the removal itself) watches the new one, so a
    /// task renamed into it is noticed at once, not at the next rescan (an hour away here).
    @Test func aReplacedNewDirectoryIsWatchedAgain() async throws {
        try await withWatcherOnAnEmptySpool { dir, _, watcher in
            var info = stat()
            #expect(stat(dir.file("new"), &info) == 0)
            let mode = info.st_mode & 0o7777
            let served = watcher.rescansServed
            #expect(rmdir(dir.file("new")) == 0)
            // The removal itself asks for a pass (nothing else would, for an hour).
            #expect(await eventually { watcher.rescansServed > served })
            #expect(mkdir(dir.file("new"), mode) == 0)
            // A pass after the new directory is there watches it.
            #expect(await rescanAndWait(watcher))
            let producer = SpoolProducer(directory: dir.path)
            try producer.enqueue(id: "after", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(20)) == "after.json")
        }
    }

    /// A file that comes under a name still in flight (a new task reusing the file name of one
    /// that runs) is offered as soon as the name is released, not at the next rescan (an hour
    /// away here); and not while it is in flight.
    @Test func aFileThatCameUnderANameInFlightIsOfferedOnceReleased() async throws {
        try await withWatcherOnAnEmptySpool { dir, spool, watcher in
            let producer = SpoolProducer(directory: dir.path)
            try producer.enqueue(id: "same", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(90)) == "same.json")
            // Taken away (as a claim does), and a new task under the same name while still in flight.
            #expect(unlink(dir.file("new/same.json")) == 0)
            try producer.enqueue(id: "same", data: Data(#"{"again":1}"#.utf8))
            // inotify reports in order: once the sentinel is seen, the event for same.json was handled.
            try producer.enqueue(id: "sentinel", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(90)) == "sentinel.json")
            #expect(await nextName(watcher, within: .milliseconds(200)) == nil, "not offered while in flight")
            watcher.release("same.json")
            #expect(await nextName(watcher, within: .seconds(90)) == "same.json")

            // Likewise when the one in flight is found to be for others: the skip is for the file that
            // was read, not for the one that came since, which is offered at once.
            let read = try #require(try spool.read("same.json"))
            let epoch = watcher.skipEpoch
            #expect(unlink(dir.file("new/same.json")) == 0)
            try producer.enqueue(id: "same", data: Data(#"{"third":1}"#.utf8))
            try producer.enqueue(id: "sentinel2", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(90)) == "sentinel2.json")
            watcher.markSkipped("same.json", fingerprint: read.fingerprint, epoch: epoch)
            #expect(await nextName(watcher, within: .seconds(90)) == "same.json")
        }
    }

    /// Names are the directory's bytes: a precomposed `é` is another file than `e` with a
    /// combining acute (one string to Swift's `==`), offered at once while the other is in
    /// flight, not held for its release or the next rescan.
    @Test func aNameCanonicallyEqualToOneInFlightIsAnotherFile() async throws {
        try await withWatcherOnAnEmptySpool { dir, _, watcher in
            let decomposed = "e\u{301}.json"
            let precomposed = "\u{E9}.json"
            try #require(decomposed == precomposed && !decomposed.utf8.elementsEqual(precomposed.utf8))
            try writeFile(dir.file("tmp/a"), "{}")
            #expect(rename(dir.file("tmp/a"), dir.file("new/" + decomposed)) == 0)
            let first = await nextName(watcher, within: .seconds(90))
            #expect(first.map { Array($0.utf8) } == Array(decomposed.utf8))
            try writeFile(dir.file("tmp/b"), "{}")
            #expect(rename(dir.file("tmp/b"), dir.file("new/" + precomposed)) == 0)
            let second = await nextName(watcher, within: .seconds(90))
            #expect(second.map { Array($0.utf8) } == Array(precomposed.utf8), "\(String(describing: second))")
        }
    }

    /// The same for a file no event reported (hard-linked in, or its event lost to an inotify
    /// overflow) that a rescan finds under a name in flight: offered when the name is released,
    /// not at the next rescan an hour later.
    @Test func aFileARescanFoundUnderANameInFlightIsOfferedOnceReleased() async throws {
        try await withWatcherOnAnEmptySpool { dir, _, watcher in
            let producer = SpoolProducer(directory: dir.path)
            try producer.enqueue(id: "busy", data: Data("{}".utf8))
            #expect(await nextName(watcher, within: .seconds(90)) == "busy.json")
            #expect(unlink(dir.file("new/busy.json")) == 0)
            try writeFile(dir.file("busy-elsewhere.json"), "{}")
            #expect(link(dir.file("busy-elsewhere.json"), dir.file("new/busy.json")) == 0)
            #expect(await rescanAndWait(watcher))
            #expect(await nextName(watcher, within: .milliseconds(200)) == nil, "not offered while in flight")
            watcher.release("busy.json")
            #expect(await nextName(watcher, within: .seconds(90)) == "busy.json")
        }
    }

    @Test func rescanFindsFilesThatWereThereBeforeTheStart() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        for index in 0..<20 { try producer.enqueue(id: "pre\(index)", data: Data("{}".utf8)) }
        try writeFile(dir.file("new/.dot.json"), "{}")
        try writeFile(dir.file("new/readme"), "{}")
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        var seen: [String] = []
        while seen.count < 20, let name = await nextName(watcher, within: .seconds(90)) { seen.append(name) }
        #expect(Set(seen) == Set((0..<20).map { "pre\($0).json" }))
        #expect(seen.count == 20)
        // Names in flight (not released) are not yielded again by another pass; nor are the
        // dotfile and the name without `.json`. (What the pass yields is queued when it ends.)
        #expect(await rescanAndWait(watcher))
        #expect(await nextName(watcher, within: .milliseconds(100)) == nil)
        // Released names still in new/ come back on the next pass.
        watcher.release("pre0.json")
        watcher.rescanNow()
        #expect(await nextName(watcher, within: .seconds(90)) == "pre0.json")
    }

    /// A `new/` that is gone (an operator removed it) is said at every rescan while it lasts:
    /// rate-limited, not a line per pass.
    @Test(.timeLimit(.minutes(1))) func aMissingNewDirectoryIsReportedRateLimited() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let spool = try Spool(
            directory: dir.path, delegateName: "d", logger: recorder.logger(),
            logLimiter: LogRateLimiter(burst: 3, interval: .seconds(3600)))
        try spool.prepare()
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()
        defer { watcher.stop() }
        try FileManager.default.removeItem(atPath: dir.file("new"))
        for _ in 0..<12 { #expect(await rescanAndWait(watcher)) }
        let missing = recorder.records.filter { $0.contains("spool directory is missing") }
        #expect((1...3).contains(missing.count), "\(missing.count) lines")
    }

    @Test func aNewRescanIntervalAppliesWithoutRestartingTheWatcher() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try SpoolProducer(directory: dir.path).enqueue(id: "stays", data: Data("{}".utf8))
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        #expect(await nextName(watcher, within: .seconds(90)) == "stays.json")

        // Released but still in new/: no inotify event, so only a rescan yields it again.
        watcher.release("stays.json")
        #expect(await nextName(watcher, within: .milliseconds(300)) == nil)
        watcher.setRescanInterval(.milliseconds(100))
        #expect(await nextName(watcher, within: .seconds(90)) == "stays.json")
        // And again by the new interval alone, not by a request.
        watcher.release("stays.json")
        #expect(await nextName(watcher, within: .seconds(90)) == "stays.json")
    }

    /// A spool with one task file, `new/other.json`, and a watcher that has yielded it: `body`
    /// gets the directory, the watcher, the name and the file as read.
    func withOneYielded(
        _ body: (TestDirectory, SpoolWatcher, String, SpoolTaskFile) async throws -> Void
    ) async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try writeFile(dir.file("new/other.json"), #"{"for":"someone else"}"#)
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        let name = try #require(await nextName(watcher, within: .seconds(90)))
        let file = try #require(try spool.read(name))
        try await body(dir, watcher, name, file)
    }

    @Test func skippedUnchangedFilesAreNotYieldedAgainButChangedOnesAre() async throws {
        try await withOneYielded { dir, watcher, name, file in
            watcher.markSkipped(name, fingerprint: file.fingerprint, epoch: watcher.skipEpoch)
            #expect(await rescanAndWait(watcher))
            #expect(await nextName(watcher, within: .milliseconds(100)) == nil)
            // Modified in place without a rename or close-write event reaching us: the rescan sees a
            // new fingerprint. (truncate(2) changes size and mtime and raises no IN_CLOSE_WRITE.)
            #expect(truncate(dir.file("new/other.json"), 3) == 0)
            watcher.rescanNow()
            #expect(await nextName(watcher, within: .seconds(90)) == "other.json")
        }
    }

    /// A skip decided before a reload's ``SpoolWatcher/forgetSkipped()`` (under the old tags) but
    /// recorded after it is not kept: the file is yielded again, where it used to stay skipped
    /// until it changed.
    @Test func aSkipDecidedBeforeAReloadIsNotKept() async throws {
        try await withOneYielded { _, watcher, name, file in
            let epoch = watcher.skipEpoch  // the consumer's, before it matched the old tags
            watcher.forgetSkipped()  // the reload, while the file is in flight
            watcher.markSkipped(name, fingerprint: file.fingerprint, epoch: epoch)
            #expect(await nextName(watcher, within: .seconds(90)) == "other.json")
        }
    }

    /// A rescan that waits for the consumer to make room (its look-ahead full) ends when its task
    /// is cancelled, without a ``SpoolWatcher/stop()``.
    @Test func aRescanWaitingForRoomEndsWhenCancelled() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        let ahead = SpoolWatcher.Core.rescanAhead
        for index in 0..<(ahead + 20) { try producer.enqueue(id: "t\(index)", data: Data("{}".utf8)) }
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        defer { watcher.stop() }
        let rescans = Task { await watcher.run() }
        // Nothing is consumed: the rescan queues its look-ahead and waits for room.
        let deadline = ContinuousClock.now + .seconds(60)
        while watcher.inFlightCount < ahead, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        // The rescan's names stop at the look-ahead; one more can come from inotify: a child
        // another test spawned (posix_spawn copies every descriptor, close-on-exec ones too,
        // until its exec) while a task file was open for writing holds it, and its last close,
        // after the watch is set up, reports IN_CLOSE_WRITE under the name it has in new/ by
        // then (129 in flight once in a full-suite run). What this test asserts is the cancellation.
        try #require(watcher.inFlightCount >= ahead, "\(watcher.inFlightCount) in flight")
        rescans.cancel()
        let ended = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await rescans.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await group.next() ?? false
            watcher.stop()  // frees a rescan still waiting, so that the group can end
            group.cancelAll()
            return first
        }
        #expect(ended, "the cancelled rescan still waited for room")
    }

    @Test func aHundredThousandFileBacklogIsEnumeratedOnceEachWithBoundedMemory() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let total = 100_000
        let newDirectory = dir.file("new")
        let created = try await offPool {
            (0..<total).filter { index in
                let fd = open(newDirectory + "/task-\(index).json", O_CREAT | O_WRONLY | O_CLOEXEC, 0o640)
                if fd >= 0 { close(fd) }
                return fd >= 0
            }.count
        }
        try #require(created == total)
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        var seen = Set<String>()
        seen.reserveCapacity(total)
        var duplicates = 0
        var iterator = watcher.makeAsyncIterator()
        // Hold the first 10 names without releasing them: the rescan must stop after a bounded
        // look-ahead instead of queueing the whole backlog.
        var held: [String] = []
        for _ in 0..<10 {
            if let name = await iterator.next() {
                held.append(name)
                seen.insert(name)
            }
        }
        try #require(held.count == 10)
        // The pass fills its look-ahead, and then it waits: a while later there are no more.
        #expect(await eventually { watcher.inFlightCount >= SpoolWatcher.Core.rescanAhead })
        try await Task.sleep(for: .milliseconds(300))
        let inFlight = watcher.inFlightCount
        #expect(inFlight <= SpoolWatcher.Core.rescanAhead + held.count, "in flight: \(inFlight)")
        for name in held { watcher.release(name) }

        // (Bounded for a loaded machine; a stalled watcher fails each name's wait instead.)
        let started = ContinuousClock.now
        let deadline = started + .seconds(300)
        while seen.count < total, ContinuousClock.now < deadline {
            guard let name = await nextName(watcher, within: .seconds(90)) else { break }
            if !seen.insert(name).inserted { duplicates += 1 }
            watcher.release(name)
        }
        #expect(seen.count == total, "\(seen.count) of \(total) in \(ContinuousClock.now - started)")
        #expect(duplicates == 0)
        // Nor is one offered again after the last new one (the files are still in new/).
        let again = await nextName(watcher, within: .seconds(2))
        #expect(again == nil, "offered again: \(again ?? "")")
        _ = iterator
        // Removing 100,000 files takes seconds: not on a cooperative thread (the deferred remove
        // then finds nothing left, or cleans up after a failure).
        watcher.stop()
        try await offPool { dir.remove() }
    }

    /// Names that are not UTF-8 and alike in their first 60 bytes (past the 40 kept in hex) each get a name of their own
    /// (they took the same one, and the second stayed in `new/` unjudged, silently); the
    /// warnings for them are rate-limited (a producer can make any number).
    @Test func namesThatAreNotUTF8AndAlikeInTheirFirst60BytesAreEachRenamed() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let (spool, limiter) = try recordedSpool(in: dir, recorder: recorder)
        let count = 5
        for index in 0..<count {
            let raw = Array(dir.file("new/").utf8) + [0xff] + Array(repeating: UInt8(ascii: "a"), count: 60)
                + Array("\(index).json".utf8)
            let made = (raw + [0]).withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o640) }
            }
            try #require(made >= 0)
            close(made)
        }
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()  // the rescans, a child of this test
        defer { watcher.stop() }
        var seen: Set<String> = []
        while seen.count < count, let name = await nextName(watcher, within: .seconds(90)) { seen.insert(name) }
        #expect(seen.count == count, "offered: \(seen)")
        #expect(seen.allSatisfy { $0.hasPrefix("invalid-name-ff6161") && $0.hasSuffix(".json") })
        #expect(names(in: dir.file("new")).count == count)
        let warnings = recorder.records.filter { $0.contains("is not UTF-8; renamed") }
        #expect(warnings.count == limiter.burst, "\(warnings)")
    }

    @Test func aRepairedNameIsTheWholeNameInHexUpTo40Bytes() {
        #expect(SpoolName.repairedName([0xff, 0x01] + Array(".json".utf8)) == "invalid-name-ff012e6a736f6e.json")
        let long = [0xff] + Array(repeating: UInt8(ascii: "b"), count: 70)
        let name = SpoolName.repairedName(long)
        #expect(name.hasPrefix("invalid-name-ff" + String(repeating: "62", count: 39) + "-"))
        #expect(name.utf8.count == 13 + 80 + 1 + 16 + 5)
        #expect(name != SpoolName.repairedName(long.dropLast() + [UInt8(ascii: "c")]))
        // A task without an id takes the stem as its result id (at most 128): the hash is in it.
        #expect(String(name.dropLast(5)).utf8.count <= 128)
    }

    /// A name longer than 200 bytes leaves no room for the files kept beside a claimed task
    /// (`.<name>.result` and its temporary file; 255 bytes at most): it is renamed like a name that
    /// is not UTF-8, then judged. One of 200 bytes is offered as it is.
    @Test func aNameLongerThan200BytesIsRenamedThenOffered() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let (spool, _) = try recordedSpool(in: dir, recorder: recorder)
        let long = String(repeating: "t", count: 226) + ".json"
        let fits = String(repeating: "f", count: 195) + ".json"
        for name in [long, fits] { try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("new/" + name))) }
        #expect(!SpoolName.isTaskFileName(long) && SpoolName.isTaskFileName(fits))
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()
        defer { watcher.stop() }
        var seen: Set<String> = []
        while seen.count < 2, let name = await nextName(watcher, within: .seconds(90)) { seen.insert(name) }
        let renamed = SpoolName.repairedName(Array(long.utf8))
        #expect(seen == [fits, renamed])
        #expect(Set(names(in: dir.file("new"))) == [fits, renamed])
        #expect(recorder.records.contains { $0.contains("is longer than 200 bytes; renamed it to \(renamed)") })
    }

    /// A name is a task's by its bytes: in `a\u{0600}.json` the prepended U+0600 and the dot are
    /// one character, so `String.hasSuffix(".json")` says no, yet the file is `*.json` and must be
    /// offered (else it stays in `new/` for ever, unjudged and unlogged), with `a\u{0600}` its stem.
    @Test func aNameWhoseDotJoinsTheCharacterBeforeIsOffered() async throws {
        let name = "a\u{0600}.json"
        #expect(SpoolName.isTaskFileName(name))
        #expect(SpoolName.stem(of: name) == "a\u{0600}")
        #expect(Array(SpoolName.stem(of: name).utf8) == Array(name.utf8.dropLast(5)))
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (spool, _) = try recordedSpool(in: dir, recorder: LogRecorder())
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("new/" + name)))
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        async let _ = watcher.run()
        defer { watcher.stop() }
        let offered = await nextName(watcher, within: .seconds(90))
        #expect(offered.map { Array($0.utf8) } == Array(name.utf8))
    }

    /// Asks for a rescan and waits until its pass has ended: whatever it yields is queued by then.
    func rescanAndWait(_ watcher: SpoolWatcher) async -> Bool {
        let request = watcher.rescanNow()
        return await eventually { watcher.rescansServed >= request }
    }
}

/// A replaced `new/` that cannot be watched again for another reason than its absence (the
/// user's inotify limits: ENOSPC) is said once, with what to raise; watched again, said so.
/// Before, the failure read as "nothing changed", and tasks came only with the rescan, unsaid.
@Suite struct InotifyRearmTests {
    @Test func aDirectoryThatCannotBeWatchedAgainIsSaidOnce() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let watch = try InotifyWatch(directory: dir.path, label: "rearm-test", onName: { _ in }, onOverflow: {})
        defer { watch.cancel() }
        #expect(watch.rearm() == .unchanged)
        let full = watch.rearm { _, _, _ in
            errno = ENOSPC
            return -1
        }
        #expect(full == .failed(ENOSPC))

        let recorder = LogRecorder()
        let logger = recorder.logger()
        var failing: Int32?
        for _ in 0..<3 { SpoolWatcher.note(full, failing: &failing, directory: dir.path, logger: logger) }
        SpoolWatcher.note(.failed(ENOENT), failing: &failing, directory: dir.path, logger: logger)  // missing for a moment
        let warnings = recorder.records.filter { $0.contains("cannot be watched again") }
        #expect(warnings.count == 1, "\(recorder.records)")
        #expect(warnings.first?.contains("No space left on device") == true && warnings.first?.contains("max_user_watches") == true)
        SpoolWatcher.note(.moved, failing: &failing, directory: dir.path, logger: logger)
        #expect(failing == nil)
        #expect(recorder.records.contains { $0.contains("watching the spool directory made again") })
        SpoolWatcher.note(full, failing: &failing, directory: dir.path, logger: logger)
        #expect(recorder.records.filter { $0.contains("cannot be watched again") }.count == 2, "failing again is said again")
    }
}

/// inotify the user's limits refuse at the start (`fs.inotify.max_user_instances`,
/// `max_user_watches`) does not stop the delegate, whose socket and SQS intakes would go down with
/// it: said once, tasks are found by the rescan, and a watch refused for want of watches is made
/// by the first pass that can. Another failure (the directory is none) still fails the start.
@Suite struct InotifyAtStartTests {
    static func watcher(
        in dir: TestDirectory, recorder: LogRecorder, calls: InotifyWatch.SystemCalls
    ) throws(TaskQueueError) -> SpoolWatcher {
        try SpoolWatcher(
            directory: dir.path, rescanInterval: .seconds(3600), skipCacheCapacity: 1024, logger: recorder.logger(),
            logLimiter: LogRateLimiter(), inotifyCalls: calls)
    }

    @Test func noInotifyInstanceLeftIsSaidAndTheRescanFindsTasks() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        var calls = InotifyWatch.SystemCalls()
        calls.initialize = {
            errno = EMFILE
            return -1
        }
        let watcher = try Self.watcher(in: dir, recorder: recorder, calls: calls)
        async let _ = watcher.run()
        defer { watcher.stop() }
        let warning = recorder.records.filter { $0.contains("inotify cannot be set up") }
        #expect(warning.count == 1 && warning.first?.contains("max_user_instances") == true, "\(recorder.records)")
        try writeFile(dir.file("t1.json"), "{}")
        let request = watcher.rescanNow()
        #expect(await eventually { watcher.rescansServed >= request })
        #expect(await nextName(watcher, within: .seconds(20)) == "t1.json")
    }

    @Test func noWatchLeftIsSaidAndTheFirstPassThatCanWatches() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        var calls = InotifyWatch.SystemCalls()
        calls.addWatch = { _, _, _ in
            errno = ENOSPC
            return -1
        }
        let watcher = try Self.watcher(in: dir, recorder: recorder, calls: calls)
        let warning = recorder.records.filter { $0.contains("cannot be watched (No space left on device)") }
        #expect(warning.count == 1 && warning.first?.contains("max_user_watches") == true, "\(recorder.records)")
        async let _ = watcher.run()  // its first pass watches the directory (the real call)
        defer { watcher.stop() }
        #expect(await eventually { recorder.records.contains { $0.contains("watching the spool directory made again") } })
        // After that pass's listing too (a file it found would prove nothing of the watch):
        let request = watcher.rescanNow()
        #expect(await eventually { watcher.rescansServed >= request })
        // Renamed in after the passes: noticed by the watch, the next rescan an hour away.
        try writeFile(dir.file(".t2.tmp"), "{}")
        #expect(rename(dir.file(".t2.tmp"), dir.file("t2.json")) == 0)
        #expect(await nextName(watcher, within: .seconds(20)) == "t2.json")
    }

    @Test func aWatchRefusedForAnotherReasonFailsTheStart() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        var calls = InotifyWatch.SystemCalls()
        calls.addWatch = { _, _, _ in
            errno = EACCES
            return -1
        }
        #expect(throws: TaskQueueError.self) { try Self.watcher(in: dir, recorder: LogRecorder(), calls: calls) }
    }
}
