import Glibc
import Synchronization
import Testing

@testable import TaskQueue

/// A spool entry whose name is not UTF-8 is renamed by its bytes, and never left under two names.
@Suite struct DirectoryReaderRenameTests {
    private static let rawName: [UInt8] = [0x74, 0xFF, 0x2E, 0x6A, 0x73, 0x6F, 0x6E]  // "t\u{FF}.json"

    /// A file system without `RENAME_NOREPLACE`: the `link` and `unlink` fallback runs.
    private static func unsupported(_: UnsafePointer<CChar>, _: String) -> FileIO.RenameOutcome? { nil }

    private func makeEntry(in directory: TestDirectory) throws {
        let path = Array((directory.path + "/").utf8).map { CChar(bitPattern: $0) }
            + Self.rawName.map { CChar(bitPattern: $0) } + [0]
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        try #require(fd >= 0)
        close(fd)
    }

    private func names(in directory: TestDirectory) throws -> [[UInt8]] {
        let reader = try #require(try DirectoryReader(path: directory.path))
        return try reader.next(limit: 100).map { $0.invalidUTF8Name ?? Array($0.name.utf8) }.sorted {
            $0.lexicographicallyPrecedes($1)
        }
    }

    @Test func theEntryEndsUnderItsNewNameOnly() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try makeEntry(in: directory)

        #expect(try DirectoryReader.rename(in: directory.path, Self.rawName, to: "fixed.json"))
        #expect(try names(in: directory) == [Array("fixed.json".utf8)])
        // Never over an entry that exists.
        try makeEntry(in: directory)
        #expect(try !DirectoryReader.rename(in: directory.path, Self.rawName, to: "fixed.json"))
        #expect(try names(in: directory) == [Array("fixed.json".utf8), Self.rawName])
    }

    /// In one step where the file system can: the old name is never unlinked on its own (a second
    /// name for the task never exists, not even for a moment, for another delegate to claim).
    @Test func theRenameIsOneStepWhereTheFileSystemCan() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try makeEntry(in: directory)

        let unlinks = Mutex(0)
        #expect(
            try DirectoryReader.rename(
                in: directory.path, Self.rawName, to: "fixed.json",
                unlink: { path in
                    unlinks.withLock { $0 += 1 }
                    return Glibc.unlink(path)
                }))
        #expect(unlinks.withLock { $0 } == 0)
        #expect(try names(in: directory) == [Array("fixed.json".utf8)])
    }

    @Test func anOldNameThatCannotBeRemovedTakesTheNewNameWithIt() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try makeEntry(in: directory)

        #expect(throws: TaskQueueError.self) {
            try DirectoryReader.rename(
                in: directory.path, Self.rawName, to: "fixed.json", noReplace: Self.unsupported,
                unlink: { _ in
                    errno = EACCES
                    return -1
                })
        }
        // Still one name for the task: the one it had.
        #expect(try names(in: directory) == [Self.rawName])
    }

    @Test func anOldNameGoneMeanwhileIsNoRename() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try makeEntry(in: directory)

        let renamed = try DirectoryReader.rename(
            in: directory.path, Self.rawName, to: "fixed.json", noReplace: Self.unsupported
        ) { (path: UnsafePointer<CChar>) -> Int32 in
            _ = Glibc.unlink(path)  // its producer withdrew it first
            errno = ENOENT
            return -1
        }
        #expect(!renamed)
        #expect(try names(in: directory).isEmpty)
    }
}
