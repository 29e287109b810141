import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// What happens around a spool while the delegate runs: a result being made durable as the
/// retention sweep passes, the delegate's claims directory removed under it.
@Suite struct SpoolWhileRunningTests {
    /// A result already in `done/` whose fsyncs (its own, the group's of `done/`) take longer
    /// than the retention is still being completed: the sweep leaves it, and it is there when
    /// `complete` returns (else the task file would go with its result lost).
    @Test(.timeLimit(.minutes(1))) func theSweepLeavesAResultWaitingForItsFsync() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let fsyncMayGo = Mutex(false)
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: quietLogger,
            doneFsync: { path throws(TaskQueueError) in
                while !fsyncMayGo.withLock({ $0 }) { usleep(5_000) }
                try FileIO.fsyncDirectory(path)
            })
        try spool.prepare()
        try writeFile(dir.file("new/slow.json"), "task")
        let claimed = try #require(try spool.claim("slow.json"))
        let completing = Task {
            try await spool.complete(claimed, resultID: "slow", result: Data("the result".utf8))
        }
        #expect(await eventually { FileManager.default.fileExists(atPath: dir.file("done/slow.json")) })

        #expect(try spool.sweepResults(olderThan: .seconds(1), now: Date().addingTimeInterval(3600)) == 0)
        fsyncMayGo.withLock { $0 = true }
        try await completing.value
        #expect(try String(contentsOfFile: dir.file("done/slow.json"), encoding: .utf8) == "the result")
        #expect(names(in: dir.file("cur/d1")).isEmpty, "the task file went once its result was durable")
        // Completed, it is a result like any other.
        #expect(try spool.sweepResults(olderThan: .seconds(1), now: Date().addingTimeInterval(3600)) == 1)
    }

    /// `cur/<delegate>/` removed while the delegate runs (an operator cleaning up claims): a claim
    /// fails loudly, naming the directory and the way out, rather than pass for a race lost to
    /// another delegate (the task left in `new/`, nothing said, at every look).
    @Test func aClaimWithoutItsClaimsDirectoryFailsNamingIt() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        try spool.lockClaims()
        // A race lost (the file gone) is no error.
        #expect(try spool.claim("gone.json") == nil)
        #expect(unlink(dir.file("cur/d1/.lock")) == 0 && rmdir(dir.file("cur/d1")) == 0)
        try writeFile(dir.file("new/t.json"), "task")

        let error = #expect(throws: TaskQueueError.self) { try spool.claim("t.json") }
        #expect(error?.code == .claimsRemoved)
        #expect(error?.path == dir.file("cur/d1"))
        #expect(error?.message.contains("until the delegate starts again") == true, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: dir.file("new/t.json")), "the task stays for a delegate that can run it")
        // Made again by hand, it is another directory than the one locked: still no claim.
        #expect(mkdir(dir.file("cur/d1"), 0o750) == 0)
        let remade = #expect(throws: TaskQueueError.self) { try spool.claim("gone.json") }
        #expect(remade?.message.contains("no longer the one it locked at the start") == true, "\(String(describing: remade))")
    }

    /// `cur/<delegate>/` replaced while the delegate runs (what a file system mounted over the
    /// spool after the start, or unmounted from under it, shows at the path): claims by path
    /// would go to a directory this process holds no lock on. The look finds it replaced or gone,
    /// and passes the directory it locked; before the lock it looks at nothing.
    @Test func theClaimsDirectoryLookFindsItReplacedOrRemoved() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        #expect(rename(dir.file("cur/d1"), dir.file("cur/unlocked")) == 0)
        try spool.checkClaimsDirectory()
        #expect(rename(dir.file("cur/unlocked"), dir.file("cur/d1")) == 0)
        try spool.lockClaims()
        try spool.checkClaimsDirectory()

        #expect(rename(dir.file("cur/d1"), dir.file("cur/locked")) == 0 && mkdir(dir.file("cur/d1"), 0o750) == 0)
        let replaced = #expect(throws: TaskQueueError.self) { try spool.checkClaimsDirectory() }
        #expect(replaced?.code == .claimsRemoved)
        #expect(replaced?.path == dir.file("cur/d1"))
        #expect(replaced?.message.contains("no longer the one it locked at the start") == true, "\(String(describing: replaced))")

        #expect(rmdir(dir.file("cur/d1")) == 0)
        let removed = #expect(throws: TaskQueueError.self) { try spool.checkClaimsDirectory() }
        #expect(removed?.code == .claimsRemoved)
        #expect(removed?.message.contains("was removed while it ran") == true, "\(String(describing: removed))")

        #expect(rename(dir.file("cur/locked"), dir.file("cur/d1")) == 0)
        try spool.checkClaimsDirectory()

        // NFS: the locked directory removed on the server leaves its descriptor stale.
        let stale = #expect(throws: TaskQueueError.self) {
            try spool.checkClaimsDirectory(statHeld: { _, _ in
                errno = ESTALE
                return -1
            })
        }
        #expect(stale?.code == .claimsRemoved)
        #expect(stale?.message.contains("no longer the one it locked at the start") == true, "\(String(describing: stale))")
        // Any other failure to look is no verdict.
        let unlooked = #expect(throws: TaskQueueError.self) {
            try spool.checkClaimsDirectory(statHeld: { _, _ in
                errno = EIO
                return -1
            })
        }
        #expect(unlooked?.code != .claimsRemoved)
        #expect(unlooked?.errno == EIO)
    }

    /// Something a producer planted at a result's name is replaced, but a result another task
    /// with the same id put there after the look (both finishing at once) stays: the planted
    /// entry is moved aside and judged by what was moved, never removed by name.
    @Test func aResultPutWhereSomethingWasPlantedAfterTheLookStays() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: quietLogger,
            afterPlantedLook: { target in
                // Another task's result takes the place of what was planted, as a rename would.
                _ = try? FileIO.removeTree(target)
                try? writeFile(target + ".other", "the other task's result")
                _ = rename(target + ".other", target)
            })
        try spool.prepare()
        #expect(mkdir(dir.file("done/dup.json"), 0o755) == 0)
        try writeFile(dir.file("done/dup.json/planted"), "x")

        let error = #expect(throws: TaskQueueError.self) {
            try spool.writeResult(id: "dup", data: Data("this task's result".utf8))
        }
        #expect(error?.code == .resultExists)
        #expect(try String(contentsOfFile: dir.file("done/dup.json"), encoding: .utf8) == "the other task's result")
        #expect(names(in: dir.file("done")) == ["dup.json"], "nothing left aside")
    }
}
