import Foundation
import Glibc
import Testing

@testable import TaskQueue

/// The exclusive rename every claim and result goes through, and its fallbacks for file systems
/// without `RENAME_NOREPLACE`: `link` + `unlink` for results, a look and `rename` for claims (into
/// the delegate's own directory). The fallbacks cannot be reached on this machine's file systems,
/// so they are called directly: all must give the same outcomes.
@Suite struct FileIORenameTests {
    enum Path: CaseIterable { case renameat2, link, ownDirectory }

    /// `renameNoReplace` (renameat2 here) or a fallback.
    static func rename(_ source: String, _ target: String, via path: Path) throws(TaskQueueError)
        -> FileIO.RenameOutcome
    {
        switch path {
        case .renameat2: try FileIO.renameNoReplace(source, target)
        case .link: try FileIO.linkNoReplace(source, target)
        case .ownDirectory: try FileIO.renameCheckingTarget(source, target)
        }
    }

    @Test(arguments: Path.allCases)
    func movesTheFileWhenTheTargetIsFree(path: Path) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "task")
        let inode = try #require(try FileIO.lstat(source)).st_ino

        #expect(try Self.rename(source, target, via: path) == .renamed)

        #expect(try FileIO.lstat(source) == nil)
        let moved = try #require(try FileIO.lstat(target))
        #expect(moved.st_ino == inode)
        #expect(moved.st_nlink == 1)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "task")
    }

    @Test(arguments: Path.allCases)
    func leavesBothAloneWhenTheTargetExists(path: Path) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "new")
        try writeFile(target, "old")

        #expect(try Self.rename(source, target, via: path) == .targetExists)

        #expect(try String(contentsOfFile: source, encoding: .utf8) == "new")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old")
        #expect(try #require(try FileIO.lstat(source)).st_nlink == 1)
    }

    @Test(arguments: Path.allCases)
    func reportsAMissingSourceAndCreatesNothing(path: Path) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))

        #expect(try Self.rename(source, target, via: path) == .sourceMissing)

        #expect(try FileIO.lstat(target) == nil)
    }

    @Test(arguments: Path.allCases)
    func aSymlinkAtTheTargetCountsAsTaken(path: Path) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (source, target) = (directory.file("source"), directory.file("target"))
        try writeFile(source, "new")
        #expect(symlink(directory.file("nowhere"), target) == 0)

        #expect(try Self.rename(source, target, via: path) == .targetExists)

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
