import Foundation
import Glibc
import Testing

@testable import TaskQueue

/// The exclusive rename every claim and result goes through, and its `link` + `unlink` fallback
/// for file systems without `RENAME_NOREPLACE` (the fallback cannot be reached on this machine's
/// file systems, so it is called directly): both must give the same outcomes.
@Suite struct FileIORenameTests {
    /// `renameNoReplace` (renameat2 here) or its fallback.
    static func rename(_ source: String, _ target: String, fallback: Bool) throws(TaskQueueError)
        -> FileIO.RenameOutcome
    {
        fallback ? try FileIO.linkNoReplace(source, target) : try FileIO.renameNoReplace(source, target)
    }

    @Test(arguments: [false, true])
    func movesTheFileWhenTheTargetIsFree(fallback: Bool) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "task")
        let inode = try #require(try FileIO.lstat(source)).st_ino

        #expect(try Self.rename(source, target, fallback: fallback) == .renamed)

        #expect(try FileIO.lstat(source) == nil)
        let moved = try #require(try FileIO.lstat(target))
        #expect(moved.st_ino == inode)
        #expect(moved.st_nlink == 1)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "task")
    }

    @Test(arguments: [false, true])
    func leavesBothAloneWhenTheTargetExists(fallback: Bool) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "new")
        try writeFile(target, "old")

        #expect(try Self.rename(source, target, fallback: fallback) == .targetExists)

        #expect(try String(contentsOfFile: source, encoding: .utf8) == "new")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old")
        #expect(try #require(try FileIO.lstat(source)).st_nlink == 1)
    }

    @Test(arguments: [false, true])
    func reportsAMissingSourceAndCreatesNothing(fallback: Bool) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))

        #expect(try Self.rename(source, target, fallback: fallback) == .sourceMissing)

        #expect(try FileIO.lstat(target) == nil)
    }

    @Test(arguments: [false, true])
    func aSymlinkAtTheTargetCountsAsTaken(fallback: Bool) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "new")
        #expect(symlink(directory.file("nowhere"), target) == 0)

        #expect(try Self.rename(source, target, fallback: fallback) == .targetExists)

        #expect(try FileIO.lstat(directory.file("nowhere")) == nil)
        #expect(try String(contentsOfFile: source, encoding: .utf8) == "new")
    }

    @Test func theFallbackFailsWithTheSystemCallsErrorOnADirectory() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        #expect(mkdir(source, 0o700) == 0)

        let error = try #require(throws: TaskQueueError.self) { try FileIO.linkNoReplace(source, target) }

        #expect(error.code == .io)
        #expect(error.errno == EPERM)
        #expect(error.path == source)
        #expect(try FileIO.lstat(target) == nil)
    }
}
