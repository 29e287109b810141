import Foundation
import Glibc
import Testing

@testable import TaskQueue

/// What a producer left in the spool is deleted without ever following a link out of it.
@Suite struct FileIORemoveTreeTests {
    @Test func aTreeGoesAndWhatItsLinksPointAtStays() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let outside = directory.file("outside")
        #expect(mkdir(outside, 0o700) == 0)
        try writeFile(outside + "/precious", "keep me")
        let tree = directory.file("tree")
        #expect(mkdir(tree, 0o755) == 0)
        #expect(mkdir(tree + "/a", 0o755) == 0)
        #expect(mkdir(tree + "/a/b", 0o755) == 0)
        try writeFile(tree + "/a/b/file", "x")
        try writeFile(tree + "/top", "y")
        #expect(symlink(outside, tree + "/a/link-to-outside") == 0)
        #expect(symlink(outside + "/precious", tree + "/link-to-file") == 0)
        #expect(mkfifo(tree + "/a/fifo", 0o600) == 0)
        // A name that is not UTF-8.
        let odd = Array((tree + "/").utf8).map { CChar(bitPattern: $0) } + [CChar(bitPattern: 0xFF), 0x61, 0]
        let fd = open(odd, O_WRONLY | O_CREAT, 0o600)
        #expect(fd >= 0)
        close(fd)

        try FileIO.removeTree(tree)

        #expect(try FileIO.lstat(tree) == nil)
        #expect(try String(contentsOfFile: outside + "/precious", encoding: .utf8) == "keep me")
    }

    @Test func aLinkGoesAsALink() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let outside = directory.file("outside")
        #expect(mkdir(outside, 0o700) == 0)
        try writeFile(outside + "/precious", "keep me")
        #expect(symlink(outside, directory.file("link")) == 0)

        try FileIO.removeTree(directory.file("link"))

        #expect(try FileIO.lstat(directory.file("link")) == nil)
        #expect(try String(contentsOfFile: outside + "/precious", encoding: .utf8) == "keep me")
        // A plain file, and nothing at all, are fine too.
        try writeFile(directory.file("plain"), "z")
        try FileIO.removeTree(directory.file("plain"))
        #expect(try FileIO.lstat(directory.file("plain")) == nil)
        try FileIO.removeTree(directory.file("nothing"))
    }

    @Test func aTreeTooDeepIsLeftInPlaceWithAnError() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        var path = directory.file("deep")
        let root = path
        for _ in 0...(FileIO.removeTreeDepth + 1) {
            #expect(mkdir(path, 0o755) == 0)
            path += "/d"
        }
        let error = try #require(throws: TaskQueueError.self) { try FileIO.removeTree(root) }
        #expect(error.message.contains("could not be removed completely"))
        #expect(try FileIO.lstat(root) != nil)
    }

    /// The budget is spent as names are listed, not as entries are deleted: a directory whose
    /// listing would overrun what is left is refused before any of its entries goes (else every
    /// level of a deep tree held its whole listing at once, many times the budget in memory).
    @Test func aDirectoryOverrunningTheBudgetIsRefusedBeforeItsEntriesGo() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let root = directory.file("wide")
        let sub = root + "/sub"
        #expect(mkdir(root, 0o755) == 0 && mkdir(sub, 0o755) == 0)
        let half = FileIO.removeTreeBudget / 2
        for (parent, count) in [(root, half), (sub, half)] {
            for index in 0..<count {
                let fd = open("\(parent)/f\(index)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
                #expect(fd >= 0)
                close(fd)
            }
        }
        let error = try #require(throws: TaskQueueError.self) { try FileIO.removeTree(root) }
        #expect(error.message.contains("could not be removed completely"))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: sub).count) ?? 0
        #expect(left == half, "sub/ was listed past the budget and emptied in part")
    }
}
