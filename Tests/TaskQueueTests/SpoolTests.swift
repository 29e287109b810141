import Foundation
import Glibc
import TestSupport
import Synchronization
import Testing

@testable import TaskQueue

@Suite struct SpoolTests {
    @Test func prepareCreatesTheLayoutWithRestrictedModes() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let root = dir.file("spool")
        let spool = try Spool(directory: root, delegateName: "host-1", logger: quietLogger)
        try spool.prepare()
        try spool.prepare()  // idempotent
        for sub in ["", "/tmp", "/new", "/cur", "/cur/host-1", "/done"] {
            let path = root + sub
            let info = try #require(try FileIO.lstat(path))
            #expect(info.st_mode & S_IFMT == S_IFDIR, "\(path)")
            #expect(info.st_mode & 0o007 == 0, "\(path) is world-accessible")
            // Producers (the group) write tasks and collect results; only delegates write the rest.
            let shared = ["/tmp", "/new", "/done"].contains(sub)
            #expect(info.st_mode & 0o7777 == (shared ? 0o2770 : 0o750), "\(path)")
        }
        try writeFile(dir.file("plain"), "x")
        let broken = try Spool(directory: dir.file("plain"), delegateName: "host-1", logger: quietLogger)
        #expect(throws: TaskQueueError.self) { try broken.prepare() }
        #expect(throws: TaskQueueError.self) {
            try Spool(directory: root, delegateName: "../evil", logger: quietLogger)
        }
    }

    /// A delegate that does not run as cur/'s owner (root starting one by hand on the packaged
    /// spool) is refused at start: producers take only cur/'s owner's results for a delegate's,
    /// so every `submit --spool --wait` would time out with its result in done/.
    @Test func aDelegateThatIsNotCurOwnerIsRefused() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "host-1", logger: quietLogger)
        try spool.prepare()
        let other: uid_t = geteuid() == 65534 ? 65533 : 65534
        #expect(chown(dir.file("cur"), other, getegid()) == 0)
        let error = #expect(throws: TaskQueueError.self) { try spool.prepare() }
        #expect(error?.code == .badLayout)
        #expect(error?.path == dir.file("cur"))
        #expect(error?.message.contains("belongs to uid \(other)") == true, "\(error?.message ?? "")")
        // Refused before anything is made: a delegate of another name leaves no claims directory.
        let byHand = try Spool(directory: dir.path, delegateName: "by-hand", logger: quietLogger)
        #expect(throws: TaskQueueError.self) { try byHand.prepare() }
        #expect(try FileIO.lstat(dir.file("cur/by-hand")) == nil)
        #expect(chown(dir.file("cur"), geteuid(), getegid()) == 0)
        try spool.prepare()
    }

    @Test func enqueueClaimCompleteWritesAnAtomicResultAndRemovesTheTask() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        let queued = try producer.enqueue(id: "task-1", data: Data(#"{"id":"task-1"}"#.utf8))
        #expect(queued == dir.file("new/task-1.json"))
        // A spool named with a trailing slash queues at the same path, said without `//`.
        let slashed = try SpoolProducer(directory: dir.path + "/").enqueue(
            id: "task-0", data: Data(#"{"id":"task-0"}"#.utf8))
        #expect(slashed == dir.file("new/task-0.json"))
        #expect(unlink(slashed) == 0)
        #expect(try mode(of: queued) == 0o640)
        #expect(names(in: dir.file("tmp")).isEmpty)
        #expect(
            throws: TaskQueueError(
                code: .alreadyExists,
                message:
                    "a task with id task-1 is queued in new/; its result comes to done/task-1.json (read it there, then delete it), or use another id",
                path: queued)
        ) {
            try producer.enqueue(id: "task-1", data: Data("other".utf8))
        }
        #expect(names(in: dir.file("tmp")).isEmpty)

        let file = try #require(try spool.read("task-1.json"))
        #expect(file.contents == .data(Data(#"{"id":"task-1"}"#.utf8)))
        #expect(file.defaultID == "task-1")

        let claimed = try #require(try spool.claim("task-1.json"))
        #expect(claimed.path == dir.file("cur/d1/task-1.json"))
        #expect(try spool.read("task-1.json") == nil)
        #expect(try spool.claim("task-1.json") == nil)
        #expect(try spool.read(claimed)?.contents == .data(Data(#"{"id":"task-1"}"#.utf8)))

        try await spool.complete(claimed, resultID: "task-1", result: Data(#"{"status":"succeeded"}"#.utf8))
        let result = dir.file("done/task-1.json")
        #expect(try Data(contentsOf: URL(fileURLWithPath: result)) == Data(#"{"status":"succeeded"}"#.utf8))
        #expect(try mode(of: result) == 0o640)
        #expect(names(in: dir.file("done")) == ["task-1.json"])  // no temporary left behind
        #expect(names(in: dir.file("cur/d1")).isEmpty)
        #expect(names(in: dir.file("new")).isEmpty)
    }

    /// A result given `done/`'s group (another group than the delegate's) gets it before any
    /// mode lets a group read: with 0640 first, the group the file was made with (the
    /// delegate's, whose socket users may reach `cur/<delegate>/`) could open it meanwhile.
    @Test func aResultGetsItsGroupBeforeAGroupMayReadIt() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let modeAtGroup = Mutex<mode_t?>(nil)
        try Spool.writeDurably(
            Data("the result".utf8), temporary: dir.file(".r.tmp"), target: dir.file("r.json"), mode: Spool.resultMode,
            replace: false, group: getegid(),
            setGroup: { fd, group in
                var info = Glibc.stat()
                guard fstat(fd, &info) == 0 else { return -1 }
                modeAtGroup.withLock { $0 = info.st_mode & 0o777 }
                return fchown(fd, uid_t.max, group)
            })
        #expect(modeAtGroup.withLock { $0 } == 0o600, "no group may read it before it has its group")
        var info = Glibc.stat()
        #expect(stat(dir.file("r.json"), &info) == 0 && info.st_mode & 0o777 == Spool.resultMode)
    }

    /// A producer who learnt the temporary names' pattern from one result (a process's stem and a
    /// counter) and took the next names in done/ first cannot keep a result from being written:
    /// the temporary is made beside the delegate's claims, which only it may write.
    @Test func namesPlantedInDoneCannotBlockAResult() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        _ = try SpoolProducer(directory: dir.path).enqueue(id: "victim", data: Data(#"{"id":"victim"}"#.utf8))
        let claimed = try #require(try spool.claim("victim.json"))
        // The next names as they were made in done/ (a thousand: other tests write results meanwhile).
        let next = Spool.temporaryCounter.load(ordering: .relaxed)
        for number in (next + 1)...(next + 1000) {
            #expect(symlink("x", dir.file("done/.victim\(Spool.temporaryStem).\(number).tmp")) == 0)
        }
        try await spool.complete(claimed, resultID: "victim", result: Data(#"{"status":"succeeded"}"#.utf8))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: dir.file("done/victim.json")))
                == Data(#"{"status":"succeeded"}"#.utf8))
        #expect(names(in: dir.file("cur/d1")).isEmpty, "no temporary left behind")
    }

    /// With the delegate's claims directory removed while it runs (its tasks' files with it), a
    /// result is still written, in done/ itself, and something a producer planted at its name
    /// still goes (it cannot be moved aside into the claims directory, so it is removed by name).
    @Test func aResultIsWrittenWithTheClaimsDirectoryGone() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: recorder.logger())
        try spool.prepare()
        for id in ["plain", "planted"] {
            _ = try SpoolProducer(directory: dir.path).enqueue(id: id, data: Data(#"{"id":"x"}"#.utf8))
        }
        let plain = try #require(try spool.claim("plain.json"))
        let planted = try #require(try spool.claim("planted.json"))
        #expect(unlink(dir.file("cur/d1/plain.json")) == 0 && unlink(dir.file("cur/d1/planted.json")) == 0)
        #expect(rmdir(dir.file("cur/d1")) == 0)
        #expect(symlink("x", dir.file("done/planted.json")) == 0)
        try await spool.complete(plain, resultID: "plain", result: Data("p".utf8))
        try await spool.complete(planted, resultID: "planted", result: Data("q".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("done/plain.json"))) == Data("p".utf8))
        var info = stat()
        #expect(lstat(dir.file("done/planted.json"), &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("done/planted.json"))) == Data("q".utf8))
        #expect(names(in: dir.file("done")).sorted() == ["plain.json", "planted.json"], "no temporary left behind")
        // The claims directory gone is no lasting cause (the delegate stops for a start that makes
        // it): no notice that results go to done/ itself.
        #expect(!recorder.records.contains { $0.contains("event=results-written-in-done") }, "\(recorder.records)")
    }

    /// A result takes done/'s group (setgid), whatever the delegate's own: its producers read it
    /// through that group (a spool shared over NFS, a done/ group that is not the delegate's first).
    @Test func aResultTakesTheGroupOfDone() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let group: gid_t = getegid() == 65534 ? 65533 : 65534
        #expect(chown(dir.file("done"), geteuid(), group) == 0 && chmod(dir.file("done"), 0o2770) == 0)
        try spool.prepare()  // a start with that layout (a running delegate sees it at its next sweep)
        _ = try SpoolProducer(directory: dir.path).enqueue(id: "grouped", data: Data(#"{"id":"grouped"}"#.utf8))
        let claimed = try #require(try spool.claim("grouped.json"))
        try await spool.complete(claimed, resultID: "grouped", result: Data(#"{"status":"succeeded"}"#.utf8))
        var info = stat()
        #expect(lstat(dir.file("done/grouped.json"), &info) == 0)
        #expect(info.st_gid == group)
        // done/'s group the delegate's own, a setgid claims directory of another group: done/'s still.
        #expect(chown(dir.file("done"), geteuid(), getegid()) == 0 && chmod(dir.file("done"), 0o2770) == 0)
        #expect(chown(dir.file("cur/d1"), geteuid(), group) == 0 && chmod(dir.file("cur/d1"), 0o2750) == 0)
        try spool.prepare()
        _ = try SpoolProducer(directory: dir.path).enqueue(id: "second", data: Data(#"{"id":"second"}"#.utf8))
        let second = try #require(try spool.claim("second.json"))
        try await spool.complete(second, resultID: "second", result: Data(#"{"status":"succeeded"}"#.utf8))
        #expect(lstat(dir.file("done/second.json"), &info) == 0)
        #expect(info.st_gid == getegid())
    }

    /// A delegate not in done/'s group (no SupplementaryGroups=, or a system call filter that
    /// refuses fchown) has each result written in done/ itself, where a producer may take its
    /// temporary name first: said once, with the way out, and the results are still written. The
    /// results after the first go there directly, without a write beside the claims that fails
    /// again, until a sweep (prepare here) tries the claims' way again.
    @Test func resultsThatCannotTakeDonesGroupBesideTheClaimsAreSaidOnce() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let groupChanges = CallCounter()
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: recorder.logger(),
            resultGroupChange: { _, _ in
                groupChanges.increment()
                errno = EPERM
                return -1
            })
        let group = try Self.giveDoneAnotherGroup(in: dir, spool)
        for id in ["one", "two"] {
            try await Self.runOne(id, in: dir, spool)
            var info = stat()
            #expect(lstat(dir.file("done/\(id).json"), &info) == 0 && info.st_gid == group)
        }
        #expect(groupChanges.count == 1)
        try spool.prepare()
        try await Self.runOne("three", in: dir, spool)
        #expect(groupChanges.count == 2)
        #expect(FileManager.default.fileExists(atPath: dir.file("done/three.json")))
        let notices = recorder.records.filter { $0.contains("event=results-written-in-done") }
        #expect(notices.count == 1, "\(notices)")
        #expect(
            notices.first?.contains("SupplementaryGroups=") == true && notices.first?.contains("errno 1") == true,
            "\(notices)")
    }

    /// `done/` on another file system than the claims (a tmpfs mounted there): a result made
    /// beside the claims cannot be renamed into it (EXDEV, met after its fsync), and is written
    /// in `done/` itself, said once; so are the results after it, each one whole and readable.
    @Test func resultsReachDoneOnAnotherFileSystem() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: recorder.logger())
        try spool.prepare()
        try #require(
            mount("tmpfs", dir.file("done"), "tmpfs", 0, "mode=2770,gid=\(getegid())") == 0,
            "tmpfs mount: errno \(errno)")
        defer { umount2(dir.file("done"), Int32(MNT_DETACH)) }
        try spool.prepare()
        for id in ["one", "two", "three"] {
            try await Self.runOne(id, in: dir, spool)
            #expect(
                try String(contentsOfFile: dir.file("done/\(id).json"), encoding: .utf8) == #"{"status":"succeeded"}"#)
        }
        let notices = recorder.records.filter { $0.contains("event=results-written-in-done") }
        #expect(notices.count == 1 && notices.first?.contains("errno 18") == true, "\(notices)")
        // Nothing left behind beside the claims (the failed renames' temporaries are removed).
        #expect(names(in: dir.file("cur/d1")).allSatisfy { !$0.hasSuffix(".tmp") }, "\(names(in: dir.file("cur/d1")))")
    }

    /// A sweep while a result's write beside the claims is failing (an operator's chgrp meanwhile)
    /// is not undone by that failure: the next result tries the claims' way again.
    @Test func aSweepDuringAFailingResultWriteStillHasTheNextResultTryTheClaims() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        final class Sweeper: Sendable {
            let spool = Mutex<Spool?>(nil)
            func sweep() { spool.withLock { $0 }?.noteResultGroup() }
        }
        let sweeper = Sweeper()
        let groupChanges = CallCounter()
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: quietLogger,
            resultGroupChange: { _, _ in
                if groupChanges.increment() == 1 { sweeper.sweep() }
                errno = EPERM
                return -1
            })
        sweeper.spool.withLock { $0 = spool }
        _ = try Self.giveDoneAnotherGroup(in: dir, spool)
        for id in ["during", "after"] { try await Self.runOne(id, in: dir, spool) }
        #expect(groupChanges.count == 2, "the result after the sweep went to done/ directly")
    }

    /// After a claim, the bytes read before it are used when the claim moved that very file (same
    /// inode, size, modification time): shown by changing the bytes in place and putting the
    /// modification time back, which a second read would see. A file replaced in `new/` between
    /// the look and the claim, or written to since, is read again.
    @Test func aClaimedFileIsReadAgainOnlyWhenItIsNotTheOneLookedAt() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        /// Rewrites the file in place with other bytes of the same size, then sets its modification
        /// time back (or one second later: file times are coarser than the test is fast).
        func swapBytes(_ path: String, keepingTime: Bool) throws {
            var times = [timespec](repeating: timespec(), count: 2)
            var info = stat()
            #expect(stat(path, &info) == 0)
            times[0] = info.st_atim
            times[1] = info.st_mtim
            if !keepingTime { times[1].tv_sec += 1 }
            try Data(#"{"id":"task-X"}"#.utf8).write(to: URL(fileURLWithPath: path))
            #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
        }

        _ = try producer.enqueue(id: "same", data: Data(#"{"id":"task-1"}"#.utf8))
        let peeked = try #require(try spool.read("same.json"))
        let claimed = try #require(try spool.claim("same.json"))
        try swapBytes(claimed.path, keepingTime: true)
        #expect(try spool.read(claimed, peeked: peeked)?.contents == .data(Data(#"{"id":"task-1"}"#.utf8)))
        try swapBytes(claimed.path, keepingTime: false)
        #expect(try spool.read(claimed, peeked: peeked)?.contents == .data(Data(#"{"id":"task-X"}"#.utf8)))

        _ = try producer.enqueue(id: "replaced", data: Data(#"{"id":"task-2"}"#.utf8))
        let looked = try #require(try spool.read("replaced.json"))
        let other = dir.file("tmp/other")
        try Data(#"{"id":"task-3"}"#.utf8).write(to: URL(fileURLWithPath: other))
        #expect(rename(other, dir.file("new/replaced.json")) == 0)
        let won = try #require(try spool.claim("replaced.json"))
        #expect(try spool.read(won, peeked: looked)?.contents == .data(Data(#"{"id":"task-3"}"#.utf8)))
        #expect(try spool.read(won, peeked: nil)?.contents == .data(Data(#"{"id":"task-3"}"#.utf8)))

        // Made writable by its group since the look (a chmod changes no modification time): read
        // again, and so known to name no principal.
        _ = try producer.enqueue(id: "opened", data: Data(#"{"id":"task-4"}"#.utf8))
        let before = try #require(try spool.read("opened.json"))
        #expect(before.writableByOthersMode == nil)
        let opened = try #require(try spool.claim("opened.json"))
        #expect(chmod(opened.path, 0o664) == 0)
        #expect(try spool.read(opened, peeked: before)?.writableByOthersMode == 0o664)

        // Given another name since the look (a link changes no modification time either): read
        // again, and so known to have two.
        _ = try producer.enqueue(id: "linked", data: Data(#"{"id":"task-5"}"#.utf8))
        let unlinked = try #require(try spool.read("linked.json"))
        #expect(unlinked.linkCount == nil)
        let claimedLinked = try #require(try spool.claim("linked.json"))
        #expect(link(claimedLinked.path, dir.file("tmp/kept")) == 0)
        #expect(try spool.read(claimedLinked, peeked: unlinked)?.linkCount == 2)
    }

    @Test func aClaimIsExclusiveAndAResultIDMustBeATaskID() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let a = try Spool(directory: dir.path, delegateName: "a", logger: quietLogger)
        let b = try Spool(directory: dir.path, delegateName: "b", logger: quietLogger)
        try a.prepare()
        try b.prepare()
        try writeFile(dir.file("new/bad.json"), "{not json")
        let claimed = try #require(try a.claim("bad.json"))
        #expect(try b.claim("bad.json") == nil)
        let refused = await #expect(throws: TaskQueueError.self) {
            try await a.complete(claimed, resultID: "../x", result: Data())
        }
        #expect(refused?.code == .invalidName)
        #expect(names(in: dir.file("done")).isEmpty)
        try await a.complete(claimed, resultID: "bad", result: Data(#"{"status":"rejected"}"#.utf8))
        #expect(names(in: dir.file("new")).isEmpty)
        #expect(names(in: dir.file("cur/a")).isEmpty)
        #expect(try String(contentsOfFile: dir.file("done/bad.json"), encoding: .utf8) == #"{"status":"rejected"}"#)
    }

    /// Two processes with one delegate name on one spool would take each other's claimed tasks for
    /// a dead delegate's: the second cannot take cur/<name>/ while the first holds it.
    @Test func oneDelegateNameIsTakenByOneSpoolAtATime() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        var first: Spool? = try Spool(directory: dir.path, delegateName: "same", logger: quietLogger)
        let second = try Spool(directory: dir.path, delegateName: "same", logger: quietLogger)
        let other = try Spool(directory: dir.path, delegateName: "other", logger: quietLogger)
        for spool in [first, second, other] { try spool?.prepare() }
        try first?.lockClaims()
        try first?.lockClaims()  // again: already held by this one
        let refused = try #require(throws: TaskQueueError.self) { try second.lockClaims() }
        #expect(refused.code == .badLayout)
        #expect(refused.message.contains("another process runs as delegate same"))
        // The lock is on a regular file of the claims (a directory's stays on its host over NFS),
        // which a process of its own finds held, and which recovery neither runs nor deletes.
        let lockFile = dir.file("cur/same/.lock")
        var info = stat()
        #expect(lstat(lockFile, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && (info.st_mode & 0o777) == 0o600)
        let probe = open(lockFile, O_RDWR | O_CLOEXEC)
        #expect(probe >= 0)
        #expect(flock(probe, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK)
        close(probe)
        // And the directory, which versions before the file locked: one of them still running
        // (an upgrade that kept it) and this one keep each other out.
        let directoryProbe = open(dir.file("cur/same"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(directoryProbe >= 0)
        #expect(flock(directoryProbe, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK)
        close(directoryProbe)
        #expect(try second.recoverClaimed().isEmpty)
        #expect(FileManager.default.fileExists(atPath: lockFile))
        try other.lockClaims()
        // An older version (it locked the directory only) is named by what it holds.
        let older = try Spool(directory: dir.path, delegateName: "older", logger: quietLogger)
        try older.prepare()
        let olderLock = open(dir.file("cur/older"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(olderLock >= 0 && flock(olderLock, LOCK_EX | LOCK_NB) == 0)
        let refusedByOlder = try #require(throws: TaskQueueError.self) { try older.lockClaims() }
        #expect(refusedByOlder.message.contains("(it holds cur/older)"), "\(refusedByOlder)")
        close(olderLock)
        try older.lockClaims()
        // Gone (the process ended): the name is free.
        first = nil
        try second.lockClaims()
    }

    /// A recovered task's claim time is read before the recovery touches its file: removing its
    /// other name in new/ (an older version's claim, a link then an unlink, cut between the two)
    /// stamps a new status change time, which is not the earlier run's claim.
    @Test func aRecoveredTasksClaimTimeIsReadBeforeTheRecoveryTouchesIt() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try SpoolProducer(directory: dir.path).enqueue(id: "twin", data: Data("task".utf8))
        let claimed = try #require(try spool.claim("twin.json"))
        #expect(link(claimed.path, dir.file("new/twin.json")) == 0)
        let before = try #require(Spool.statusChange(of: claimed.path))
        usleep(50_000)  // past the file system's timestamp granularity
        let recovered = try #require(try spool.recoverClaimed().first)
        #expect(!FileManager.default.fileExists(atPath: dir.file("new/twin.json")), "the other name went")
        #expect(try #require(Spool.statusChange(of: claimed.path)) > before, "which stamped a new status change")
        #expect(recovered.claimedAt == before)
        #expect(spool.claimedAt(recovered) == before)
    }

    /// A spool on a file system that takes no locks (NFS without its lock manager: `ENOLCK`)
    /// cannot keep two processes from running one delegate's tasks: refused as a layout the
    /// operator must repair (78, no restarts), with what to do, not as a passing I/O failure.
    @Test(arguments: [ENOLCK, EOPNOTSUPP]) func aSpoolWithoutLocksIsALayoutToRepair(number: Int32) throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let refused = try #require(throws: TaskQueueError.self) {
            try spool.lockClaims(lock: { _, _ in
                errno = number
                return -1
            })
        }
        #expect(refused.code == .badLayout)
        #expect(refused.errno == number)
        #expect(
            refused.message.contains("takes no locks") && refused.message.contains("local file system"), "\(refused)")
        // Another failure stays an I/O failure.
        let other = try #require(throws: TaskQueueError.self) {
            try spool.lockClaims(lock: { _, _ in
                errno = EBADF
                return -1
            })
        }
        #expect(other.code == .io)
        try spool.lockClaims()
    }

    /// A call of complete again after one whose fsync of done/ failed (the result was renamed into
    /// place, its name not yet durable) finds its own result, byte for byte, and finishes: not a
    /// duplicate task, and the task file goes only after done/ is synced.
    @Test func completingAgainAfterAFailedDirectorySyncFinishes() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        try SpoolProducer(directory: dir.path).enqueue(id: "again", data: Data("task".utf8))
        let claimed = try #require(try spool.claim("again.json"))
        // What the first call left: its result in place (the fsync of done/ then failed).
        try writeFile(dir.file("done/again.json"), "the result")

        try await spool.complete(claimed, resultID: "again", result: Data("the result".utf8))

        #expect(try String(contentsOfFile: dir.file("done/again.json"), encoding: .utf8) == "the result")
        #expect(names(in: dir.file("cur/d1")).isEmpty)
        // Other bytes at the name are another task's result: refused as before.
        try SpoolProducer(directory: dir.path).enqueue(id: "again2", data: Data("task".utf8))
        let second = try #require(try spool.claim("again2.json"))
        let refused = await #expect(throws: TaskQueueError.self) {
            try await spool.complete(second, resultID: "again", result: Data("another result".utf8))
        }
        #expect(refused?.code == .resultExists)
    }

    /// Gives `done/` a group the test process is not in (setgid, 2770), and has `spool` note it.
    static func giveDoneAnotherGroup(in dir: TestDirectory, _ spool: Spool) throws -> gid_t {
        try spool.prepare()
        let group: gid_t = getegid() == 65534 ? 65533 : 65534
        #expect(chown(dir.file("done"), geteuid(), group) == 0 && chmod(dir.file("done"), 0o2770) == 0)
        try spool.prepare()
        return group
    }

    /// Queues task `id`, claims it and completes it with a succeeded result.
    static func runOne(_ id: String, in dir: TestDirectory, _ spool: Spool) async throws {
        _ = try SpoolProducer(directory: dir.path).enqueue(id: id, data: Data(#"{"id":"x"}"#.utf8))
        let claimed = try #require(try spool.claim("\(id).json"))
        try await spool.complete(claimed, resultID: id, result: Data(#"{"status":"succeeded"}"#.utf8))
    }

    /// A spool in `dir` with task `id` claimed and completed once, its result placed in done/ but
    /// the fsync of done/ failed (the next one works).
    static func placedButNotSynced(
        _ id: String, in dir: TestDirectory, fileName: String? = nil
    ) async throws -> (Spool, ClaimedTask) {
        let failures = Mutex(1)
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: quietLogger,
            doneFsync: { path throws(TaskQueueError) in
                if failures.withLock({ count in
                    defer { count -= 1 }; return count > 0
                }) {
                    throw TaskQueueError(code: .io, message: "fsync failed (the test)", path: path)
                }
                try FileIO.fsyncDirectory(path)
            })
        try spool.prepare()
        let name = fileName ?? "\(id).json"
        try writeFile(dir.file("new/" + name), "task")
        let claimed = try #require(try spool.claim(name))
        await #expect(throws: TaskQueueError.self) {
            try await spool.complete(claimed, resultID: id, result: Data("the result".utf8))
        }
        return (spool, claimed)
    }

    /// A result placed in done/ whose fsync failed may be collected by its producer before the
    /// call is made again: that call syncs and finishes, and never writes the result a second time.
    @Test func aResultCollectedBeforeItsSyncWorkedIsNotWrittenAgain() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (spool, claimed) = try await Self.placedButNotSynced("collected", in: dir)
        #expect(spool.hasPlacedResult(claimed))
        // The producer collects it.
        #expect(unlink(dir.file("done/collected.json")) == 0)

        try await spool.complete(claimed, resultID: "collected", result: Data("the result".utf8))

        #expect(!FileManager.default.fileExists(atPath: dir.file("done/collected.json")), "written again")
        #expect(names(in: dir.file("cur/d1")).isEmpty)
        #expect(!spool.hasPlacedResult(claimed))
    }

    /// Two claimed names Swift finds equal (`é` composed and decomposed) are two files: the
    /// placed, not yet synced result of one does not stand for the other's, which is written.
    @Test func aPlacedResultStandsForItsOwnFileOnlyNotForOneWhoseNameSwiftFindsEqual() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (spool, composed) = try await Self.placedButNotSynced("first", in: dir, fileName: "\u{e9}.json")
        try writeFile(dir.file("new/e\u{301}.json"), "task")
        let decomposed = try #require(try spool.claim("e\u{301}.json"))
        #expect(Array(decomposed.path.utf8) != Array(composed.path.utf8))
        #expect(spool.hasPlacedResult(composed) && !spool.hasPlacedResult(decomposed))
        try await spool.complete(decomposed, resultID: "other", result: Data("its own result".utf8))
        #expect(try String(contentsOfFile: dir.file("done/other.json"), encoding: .utf8) == "its own result")
        #expect(spool.hasPlacedResult(composed), "the other's placed result is still to be synced")
    }

    /// The retention sweep leaves a result whose task is still being completed (its fsync is to be
    /// tried again), however old: swept, the result would be lost once the retry finishes the task.
    @Test func theSweepLeavesAResultWhoseTaskIsStillBeingCompleted() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (spool, claimed) = try await Self.placedButNotSynced("placed", in: dir)
        try writeFile(dir.file("done/other.json"), "another task's result, collected long ago")
        let later = Date().addingTimeInterval(3600)
        #expect(try spool.sweepResults(olderThan: .seconds(1), now: later) == 1)
        #expect(try String(contentsOfFile: dir.file("done/placed.json"), encoding: .utf8) == "the result")
        try await spool.complete(claimed, resultID: "placed", result: Data("the result".utf8))
        #expect(try String(contentsOfFile: dir.file("done/placed.json"), encoding: .utf8) == "the result")
        // Completed, it is a result like any other.
        #expect(try spool.sweepResults(olderThan: .seconds(1), now: later) == 1)
    }

    /// A caller that gives up on completing (a stop) forgets the placed result: completing at that
    /// path again writes the result (found byte for byte, it finishes).
    @Test func aPlacedResultGivenUpIsForgotten() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (spool, claimed) = try await Self.placedButNotSynced("given-up", in: dir)
        spool.forgetPlacedResult(claimed)
        #expect(!spool.hasPlacedResult(claimed))
        #expect(unlink(dir.file("done/given-up.json")) == 0)
        try await spool.complete(claimed, resultID: "given-up", result: Data("the result".utf8))
        #expect(try String(contentsOfFile: dir.file("done/given-up.json"), encoding: .utf8) == "the result")
        #expect(names(in: dir.file("cur/d1")).isEmpty)
    }

    @Test func anUncollectedResultIsNeverReplaced() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        #expect(try spool.hasResult(id: "same") == false)
        try producer.enqueue(id: "same", data: Data("first task".utf8))
        let first = try #require(try spool.claim("same.json"))
        try await spool.complete(first, resultID: "same", result: Data("first result".utf8))
        #expect(try spool.hasResult(id: "same"))

        // A second task with the same id, in a file of another name.
        try writeFile(dir.file("new/other.json"), "second task")
        let second = try #require(try spool.claim("other.json"))
        let refused = await #expect(throws: TaskQueueError.self) {
            try await spool.complete(second, resultID: "same", result: Data("second result".utf8))
        }
        #expect(refused?.code == .resultExists)
        #expect(try String(contentsOfFile: dir.file("done/same.json"), encoding: .utf8) == "first result")
        #expect(names(in: dir.file("done")) == ["same.json"], "no temporary left behind")
        #expect(names(in: dir.file("cur/d1")) == ["other.json"], "the caller decides about the task file")
        try spool.discard(second)
        #expect(names(in: dir.file("cur/d1")).isEmpty)

    }

    @Test func taskIDsStartingWithADotAreRefused() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        for id in [".hidden", ".", ".."] {
            let refused = #expect(throws: TaskQueueError.self) { try producer.enqueue(id: id, data: Data("t".utf8)) }
            #expect(refused?.code == .invalidName)
        }
        try writeFile(dir.file("new/visible.json"), "t")
        let claimed = try #require(try spool.claim("visible.json"))
        await #expect(throws: TaskQueueError.self) {
            try await spool.complete(claimed, resultID: ".hidden", result: Data())
        }
        #expect(names(in: dir.file("done")).isEmpty)
        #expect(SpoolName.isValidTaskID("a.b") && !SpoolName.isValidTaskID(".b"))
    }

    @Test func oversizeAndNonRegularFilesAreReportedWithoutReading() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try Data(count: (1 << 20) + 1).write(to: URL(fileURLWithPath: dir.file("new/big.json")))
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: dir.file("new/edge.json")))
        symlink("/etc/passwd", dir.file("new/link.json"))
        mkfifo(dir.file("new/fifo.json"), 0o600)
        #expect(try spool.read("big.json")?.contents == .oversize(byteCount: (1 << 20) + 1))
        #expect(try spool.read("edge.json")?.contents == .data(Data(count: 1 << 20)))
        #expect(try spool.read("link.json")?.contents == .notRegularFile)
        #expect(try spool.read("fifo.json")?.contents == .notRegularFile)
        for mode: mode_t in [0o660, 0o662, 0o646] {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("new/shared.json")))
            #expect(chmod(dir.file("new/shared.json"), mode) == 0)
            let shared = try spool.read("shared.json")
            #expect(shared?.contents == .data(Data("{}".utf8)) && shared?.writableByOthersMode == UInt32(mode))
        }
        #expect(chmod(dir.file("new/shared.json"), 0o640) == 0)
        let own = try spool.read("shared.json")
        #expect(own?.contents == .data(Data("{}".utf8)) && own?.writableByOthersMode == nil)
        #expect(try spool.read("gone.json") == nil)
        #expect(throws: TaskQueueError.self) { try spool.read("../escape.json") }
        #expect(throws: TaskQueueError.self) { try spool.read(".hidden.json") }
    }

    @Test func concurrentDelegatesClaimEachOfAThousandTasksExactlyOnce() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let total = 1_000
        let spools = try (0..<4).map { try Spool(directory: dir.path, delegateName: "d\($0)", logger: quietLogger) }
        for spool in spools { try spool.prepare() }
        let producer = SpoolProducer(directory: dir.path)
        // Off the cooperative pool: a thousand durable enqueues are a thousand fsyncs.
        try await offPool { for index in 0..<total { try producer.enqueue(id: "t\(index)", data: Data("{}".utf8)) } }
        let taskNames = (0..<total).map { "t\($0).json" }

        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, spool) in spools.enumerated() {
                group.addTask {
                    // Each delegate walks the names in a different order, so they collide often;
                    // each on its own thread, so they really run at once.
                    let order = index % 2 == 0 ? taskNames : taskNames.reversed()
                    return try await offPool { try order.compactMap { try spool.claim($0)?.name } }
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == total)
        #expect(Set(all).count == total)
        #expect(claims.filter { !$0.isEmpty }.count >= 2, "the race never happened")
        #expect(names(in: dir.file("new")).isEmpty)
    }

    @Test func claimsRaceAcrossProcessesToo() async throws {
        // Two python processes claim with the same rename(2) the Swift code uses, racing this
        // process: the kernel's rename decides, so every task ends in exactly one cur/ folder.
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "swift", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        let total = 1_000
        // Off the cooperative pool: a thousand durable enqueues are a thousand fsyncs.
        try await offPool { for index in 0..<total { try producer.enqueue(id: "t\(index)", data: Data("{}".utf8)) } }
        let script = """
            import os, sys
            root, me = sys.argv[1], sys.argv[2]
            os.makedirs(f"{root}/cur/{me}", exist_ok=True)
            names = [f"t{i}.json" for i in range(\(total))]
            for n in (names if me == "p0" else reversed(names)):
                try:
                    os.rename(f"{root}/new/{n}", f"{root}/cur/{me}/{n}")
                except FileNotFoundError:
                    pass
            """
        let children = try (0..<2).map { index in
            try ChildProcess(executable: "/usr/bin/python3", arguments: ["-c", script, dir.path, "p\(index)"])
        }
        let running = children
        let mine = try await offPool {
            var mine: [String] = []
            for index in 0..<total {
                if let claimed = try spool.claim("t\(index).json") { mine.append(claimed.name) }
            }
            for child in running { _ = try child.waitForExitBlocking() }
            return mine
        }
        let theirs = names(in: dir.file("cur/p0")) + names(in: dir.file("cur/p1"))
        #expect(mine.count + theirs.count == total)
        #expect(Set(mine + theirs).count == total)
        #expect(names(in: dir.file("cur/swift")).count == mine.count)
    }

    @Test func recoverClaimedReturnsOnlyThisDelegatesLeftovers() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let first = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        let other = try Spool(directory: dir.path, delegateName: "d2", logger: quietLogger)
        try first.prepare()
        try other.prepare()
        let producer = SpoolProducer(directory: dir.path)
        for id in ["a", "b", "c", "d"] { try producer.enqueue(id: id, data: Data("{}".utf8)) }
        _ = try first.claim("a.json")
        _ = try first.claim("b.json")
        _ = try other.claim("c.json")
        // A new run of d1 (the old one "died").
        let restarted = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        let recovered = try restarted.recoverClaimed()
        #expect(recovered.map(\.name) == ["a.json", "b.json"])
        #expect(recovered.map(\.path) == [dir.file("cur/d1/a.json"), dir.file("cur/d1/b.json")])
        #expect(try restarted.read(recovered[0])?.contents == .data(Data("{}".utf8)))
        // A new task with the same name as one still claimed (`submit` refuses that id, another
        // producer may not) is a conflict, and stays queued.
        try writeFile(dir.file("new/a.json"), "{}")
        #expect(throws: TaskQueueError.self) { try restarted.claim("a.json") }
        #expect(names(in: dir.file("new")).contains("a.json"))
    }

    /// Tasks claimed under another delegate name (this one's earlier name, after a host or
    /// delegate was renamed) are not run, but the start names them and how to hand them back:
    /// otherwise they would wait unseen for good.
    @Test func tasksClaimedUnderAnotherNameAreNamedAtTheStart() throws {
        let base = try TestDirectory()
        defer { base.remove() }
        // A spool whose path a shell would split or expand unquoted: the printed loop still works.
        let dir = try base.subdirectory("spool dir's $HOME")
        let old = try Spool(directory: dir.path, delegateName: "old-host", logger: quietLogger)
        try old.prepare()
        let producer = SpoolProducer(directory: dir.path)
        for id in ["a", "b"] { try producer.enqueue(id: id, data: Data("{}".utf8)) }
        _ = try old.claim("a.json")
        _ = try old.claim("b.json")
        try FileManager.default.createDirectory(atPath: dir.file("cur/idle"), withIntermediateDirectories: true)

        let recorder = LogRecorder()
        let renamed = try Spool(directory: dir.path, delegateName: "new-host", logger: recorder.logger())
        try renamed.prepare()
        #expect(try renamed.recoverClaimed().isEmpty, "another name's tasks are not run")
        let notices = recorder.records.filter { $0.contains("event=spool-claims-of-another") }
        #expect(notices.count == 1, "\(recorder.records)")
        #expect(notices.first?.contains("2 task(s) in cur/old-host/") == true, "\(notices)")
        let own = dir.file("cur/new-host")
        let (from, to) = (dir.file("cur/old-host").shellQuoted, own.shellQuoted)
        let move =
            "cd \(from) && for t in *.json; do [ -e \(to)/\"$t\" ] || [ -e \(to)/\".$t.result\" ] || { mv -n -- \"$t\" \(to)/; [ ! -e \".$t.result\" ] || mv -n -- \".$t.result\" \(to)/; }; done"
        #expect(from.hasPrefix("'") && from.contains(#"'\''"#), "\(from)")
        #expect(notices.first?.contains(move) == true, "\(notices)")
        #expect(names(in: dir.file("cur/old-host")).count == 2, "left where they are")

        // The printed loop, run: a task goes with its kept result; one whose name this delegate
        // holds already stays, its kept result with it (never paired with this one's task).
        try Data("kept".utf8).write(to: URL(fileURLWithPath: dir.file("cur/old-host/.a.json.result")))
        try Data("kept".utf8).write(to: URL(fileURLWithPath: dir.file("cur/old-host/.b.json.result")))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("cur/new-host/b.json")))
        // An orphaned kept result of this delegate's own: the task of its name is not moved onto it.
        try producer.enqueue(id: "c", data: Data("{}".utf8))
        _ = try old.claim("c.json")
        try Data("orphan".utf8).write(to: URL(fileURLWithPath: dir.file("cur/new-host/.c.json.result")))
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", move]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        for moved in ["a.json", ".a.json.result"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("cur/new-host/\(moved)")), "\(moved) moved")
        }
        for stayed in ["b.json", ".b.json.result", "c.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("cur/old-host/\(stayed)")), "\(stayed) stayed")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("cur/new-host/.b.json.result")))
    }

    /// A file whose name is not UTF-8 (a producer's, in tmp/ or done/) is swept too, by the bytes
    /// of its name; one of those whose time has not come stays.
    @Test func sweepDeletesOldFilesWhoseNamesAreNotUTF8() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        func create(_ folder: String, _ name: [UInt8], hoursAgo: Int) {
            let path = Array(dir.file(folder).utf8) + [UInt8(ascii: "/")] + name
            let fd = (path + [0]).withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o600) }
            }
            #expect(fd >= 0)
            let when = Int(Date().timeIntervalSince1970) - hoursAgo * 3600
            var times = [timespec(tv_sec: when, tv_nsec: 0), timespec(tv_sec: when, tv_nsec: 0)]
            #expect(futimens(fd, &times) == 0)
            close(fd)
        }
        create("tmp", [0xFF, 0x2E, 0x74, 0x6D, 0x70], hoursAgo: 2)
        create("done", [0x63, 0x61, 0x66, 0xE9, 0x2E, 0x6A, 0x73, 0x6F, 0x6E], hoursAgo: 2)
        create("tmp", [0xFE, 0x2E, 0x74, 0x6D, 0x70], hoursAgo: 0)
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: Date()) == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.file("tmp")).count
            + FileManager.default.contentsOfDirectory(atPath: dir.file("done")).count
        #expect(left == 1, "the fresh one stays")
    }

    @Test func sweepDeletesOnlyResultsOlderThanTheRetention() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try spool.writeResult(id: "old", data: Data("{}".utf8))
        try spool.writeResult(id: "fresh", data: Data("{}".utf8))
        let now = Date()
        let twoHoursAgo = now.timeIntervalSince1970 - 7200
        var times = [
            timeval(tv_sec: Int(twoHoursAgo), tv_usec: 0), timeval(tv_sec: Int(twoHoursAgo), tv_usec: 0),
        ]
        #expect(utimes(dir.file("done/old.json"), &times) == 0)
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: now) == 1)
        #expect(names(in: dir.file("done")) == ["fresh.json"])
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: now) == 0)
        // With "now" far in the future, the fresh one is old too.
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: now.addingTimeInterval(7200)) == 1)
        // tmp/ too: a producer's abandoned temporary task (which may hold a value) goes; one being
        // written now stays.
        try writeFile(dir.file("tmp/abandoned"), "{}")
        try writeFile(dir.file("tmp/writing"), "{}")
        #expect(utimes(dir.file("tmp/abandoned"), &times) == 0)
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: now) == 1)
        #expect(names(in: dir.file("tmp")) == ["writing"])
    }

    /// A file the sweep cannot delete (here: a mount point, EBUSY) is passed over; the pass goes
    /// on to the files after it, and so does every later pass.
    @Test func aFileTheSweepCannotDeleteDoesNotStopThePass() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: recorder.logger())
        try spool.prepare()
        let ids = ["a", "b", "c", "d"]
        for id in ids { try spool.writeResult(id: id, data: Data("{}".utf8)) }
        // An old regular file mounted over b.json: the sweep sees an old result, unlink says EBUSY.
        let stuck = dir.file("done/b.json")
        let mounted = dir.file("mounted")
        try writeFile(mounted, "{}")
        var times = [timeval(tv_sec: 1_000_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000_000, tv_usec: 0)]
        #expect(utimes(mounted, &times) == 0)
        try #require(mount(mounted, stuck, nil, UInt(MS_BIND), nil) == 0, "bind mount: errno \(errno)")
        defer { umount2(stuck, 0) }
        for id in ids where id != "b" { #expect(utimes(dir.file("done/\(id).json"), &times) == 0) }
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: Date()) == 3)
        #expect(names(in: dir.file("done")) == ["b.json"])
        // One warning for the pass, with the count and the first error.
        let passedOver = recorder.records.filter { $0.contains("old spool files cannot be deleted; passed over") }
        #expect(passedOver.count == 1, "\(recorder.records)")
        #expect(passedOver.first?.hasPrefix("warning") == true && passedOver.first?.contains("count=1") == true)
        #expect(passedOver.first?.contains("first=") == true)
        try spool.writeResult(id: "e", data: Data("{}".utf8))
        #expect(utimes(dir.file("done/e.json"), &times) == 0)
        #expect(try spool.sweepResults(olderThan: .seconds(3600), now: Date()) == 1)
    }

    /// A quoted word reads back through /bin/sh as exactly its bytes, whatever it holds: a `'`
    /// with a combining mark after it (one Swift character) is quoted as a `'`, so a command
    /// pasted from a message never runs what a path holds.
    @Test func aShellQuotedWordReadsBackAsItsBytes() throws {
        for word in [
            "plain", "a b", "it's", "'", "'\u{301};touch /tmp/never;'\u{301}", "$HOME `id` \\ \"q\"", "",
            "\u{E9}'\u{E9}",
        ] {
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-c", "printf %s " + word.shellQuoted]
            let output = Pipe()
            shell.standardOutput = output
            try shell.run()
            let read = output.fileHandleForReading.readDataToEndOfFile()
            shell.waitUntilExit()
            #expect(shell.terminationStatus == 0, "\(word.shellQuoted)")
            #expect(
                read == Data(word.utf8), "\(word.shellQuoted) read back as \(String(decoding: read, as: UTF8.self))")
        }
    }

    /// Without `RENAME_NOREPLACE` (NFS) a claim is a link then an unlink; a delegate that died in
    /// between left the task in `new/` too. The restarted delegate runs its claimed copy and
    /// removes the other name, so no delegate claims and runs it a second time; another file
    /// of the same name in `new/` is left alone.
    @Test func recoveryRemovesTheOtherNameOfAHalfDoneClaim() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        try writeFile(dir.file("cur/d1/linked.json"), "{}")
        #expect(link(dir.file("cur/d1/linked.json"), dir.file("new/linked.json")) == 0)
        try writeFile(dir.file("cur/d1/other.json"), "{}")
        try writeFile(dir.file("new/other.json"), "{\"id\":\"other\"}")
        let recovered = try spool.recoverClaimed()
        #expect(recovered.map(\.name) == ["linked.json", "other.json"])
        #expect(names(in: dir.file("new")) == ["other.json"])
        #expect(FileManager.default.fileExists(atPath: dir.file("cur/d1/linked.json")))
    }

    /// A producer's directory planted at a result's name is moved aside into the claims directory
    /// before it is deleted; a delegate killed in between left it there as a leftover, which the
    /// next start deletes with what it holds (an unlink alone failed on it, EISDIR, at every start).
    @Test func recoveryDeletesAPlantedDirectoryLeftAside() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let aside = dir.file("cur/d1/.planted4242.ab12.1.tmp")
        #expect(mkdir(aside, 0o775) == 0 && mkdir(aside + "/inner", 0o775) == 0)
        try writeFile(aside + "/inner/file", "producer's")
        let recovered = try spool.recoverClaimed()
        #expect(recovered.isEmpty)
        #expect(names(in: dir.file("cur/d1")).isEmpty)
    }

    /// Recovery sweeps leftovers by their bytes: the kept result of a task whose name starts with a
    /// combining mark (`.\u{301}x.json.result`: the dot and the mark are one character, so
    /// `hasPrefix(".")` says no) is still found, kept for its task, and removed when it has none.
    @Test func recoveryFindsTheKeptResultsOfNamesThatStartWithACombiningMark() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let task = "\u{301}x.json"
        let orphan = "\u{301}y.json"
        try writeFile(dir.file("cur/d1/" + task), "{}")
        try writeFile(dir.file("cur/d1/." + task + ".result"), "x\n{}")
        try writeFile(dir.file("cur/d1/." + orphan + ".result"), "y\n{}")
        let recovered = try spool.recoverClaimed()
        #expect(recovered.map { Array($0.name.utf8) } == [Array(task.utf8)])
        #expect(
            names(in: dir.file("cur/d1")).map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                == [Array(("." + task + ".result").utf8), Array(task.utf8)].sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// A kept result is its task's by the bytes of the name: that of `é.json` (composed), whose
    /// task is gone, is deleted although `e\u{301}.json` (decomposed, a name Swift finds equal) is
    /// claimed; kept, it would answer a later `é.json` task after a crash.
    @Test func recoveryDeletesAKeptResultWhoseOwnerIsGoneThoughAnEqualSpelledNameIsClaimed() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        try writeFile(dir.file("cur/d1/e\u{301}.json"), "{}")
        try writeFile(dir.file("cur/d1/.\u{e9}.json.result"), "old-id\n{}")
        let recovered = try spool.recoverClaimed()
        #expect(recovered.map { Array($0.name.utf8) } == [Array("e\u{301}.json".utf8)])
        #expect(names(in: dir.file("cur/d1")).map { Array($0.utf8) } == [Array("e\u{301}.json".utf8)])
    }

    /// A host out of inotify instances or watches (an editor used them up, many waits at once)
    /// still gets its result, by the once-a-second look: the task is queued already, and its result
    /// must not be left uncollected for want of a watch. A done/ that is not there is still an error.
    @Test func aWaitWithoutInotifyStillGetsTheResult() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        var producer = SpoolProducer(directory: dir.path)
        producer.makeWatch = { directory, _, _ throws(TaskQueueError) in
            throw TaskQueueError.system("inotify_init1", path: directory, errno: EMFILE)
        }
        try producer.enqueue(id: "w", data: Data("{}".utf8))
        let worker = Task {
            try await Task.sleep(for: .milliseconds(300))
            let claimed = try #require(try spool.claim("w.json"))
            try await spool.complete(claimed, resultID: "w", result: Data("done".utf8))
        }
        let result = try await producer.waitForResult(id: "w", timeout: .seconds(60))
        try await worker.value
        #expect(result == Data("done".utf8))

        producer.makeWatch = { directory, _, _ throws(TaskQueueError) in
            throw TaskQueueError.system("inotify_add_watch", path: directory, errno: ENOENT)
        }
        let missing = await #expect(throws: TaskQueueError.self) {
            try await producer.waitForResult(id: "x", timeout: .seconds(5))
        }
        #expect(missing?.errno == ENOENT)
    }

    @Test func producerWaitsForTheResult() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        try producer.enqueue(id: "w", data: Data("{}".utf8))
        let worker = Task {
            try await Task.sleep(for: .milliseconds(150))
            let claimed = try #require(try spool.claim("w.json"))
            try await spool.complete(claimed, resultID: "w", result: Data("done".utf8))
        }
        let result = try await producer.waitForResult(id: "w", timeout: .seconds(90))
        try await worker.value
        #expect(result == Data("done".utf8))
        #expect(names(in: dir.file("done")).isEmpty)  // collected
        let timedOut = await #expect(throws: TaskQueueError.self) {
            try await producer.waitForResult(id: "never", timeout: .milliseconds(200))
        }
        #expect(timedOut?.code == .timedOut)

        // A caller that stops waiting is told so at once, not at the timeout.
        let waiting = Task { try await producer.waitForResult(id: "never", timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        waiting.cancel()
        let cancelled = await #expect(throws: TaskQueueError.self) { try await waiting.value }
        #expect(cancelled?.code == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// An id whose result still waits in `done/`, or whose task a delegate runs, is refused: the
    /// delegate would not run the new task (its result would be a duplicate), and a waiter would
    /// take the old result for its own.
    @Test func producerRefusesAnIdWhoseResultWaitsUncollected() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        try writeFile(dir.file("done/taken.json"), "an earlier task's result")
        let producer = SpoolProducer(directory: dir.path)
        let refused = #expect(throws: TaskQueueError.self) {
            try producer.enqueue(id: "taken", data: Data("{}".utf8))
        }
        #expect(refused?.code == .alreadyExists)
        #expect(refused?.message.contains("waits uncollected in done/") == true)
        #expect(names(in: dir.file("new")).isEmpty, "nothing was queued")
        #expect(try String(contentsOfFile: dir.file("done/taken.json"), encoding: .utf8) == "an earlier task's result")
        // Once collected, the id may be used again.
        unlink(dir.file("done/taken.json"))
        try producer.enqueue(id: "taken", data: Data("{}".utf8))
        #expect(names(in: dir.file("new")) == ["taken.json"])

        // A task with the id that a delegate claimed and runs blocks it too.
        let claimed = try #require(try spool.claim("taken.json"))
        let running = #expect(throws: TaskQueueError.self) {
            try producer.enqueue(id: "taken", data: Data("{}".utf8))
        }
        #expect(running?.code == .alreadyExists)
        #expect(
            running?.message.contains("is running (claimed by delegate d)") == true, "\(String(describing: running))")
        try await spool.complete(claimed, resultID: "taken", result: Data("r".utf8))
        unlink(dir.file("done/taken.json"))

        // What another producer planted at a result's name (another owner's file, a link) is no
        // result: it does not block the id (the delegate replaces it).
        try writeFile(dir.file("done/planted.json"), "forged")
        #expect(chown(dir.file("done/planted.json"), 54321, 54321) == 0)
        symlink(dir.file("done/planted.json"), dir.file("done/linked.json"))
        try producer.enqueue(id: "planted", data: Data("{}".utf8))
        try producer.enqueue(id: "linked", data: Data("{}".utf8))
        #expect(names(in: dir.file("new")) == ["linked.json", "planted.json"])
    }

    /// A kept result that could not be deleted once its task's result was written is deleted
    /// when a task of that name is claimed next: a crash while that task runs would otherwise
    /// hand it the old result at the next start, unrun.
    @Test func aKeptResultLeftBehindGoesWhenATaskOfItsNameIsClaimed() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        let kept = dir.file("cur/d/.x.json.result")
        try producer.enqueue(id: "x", data: Data("{}".utf8))
        let first = try #require(try spool.claim("x.json"))
        // Something the unlink cannot delete stands at the kept result's name.
        try FileManager.default.createDirectory(atPath: kept + "/inner", withIntermediateDirectories: true)
        try await spool.complete(first, resultID: "x", result: Data("first".utf8))
        #expect(FileManager.default.fileExists(atPath: kept))
        // It becomes a kept result of the old task (the failure passed), the result is collected,
        // and a new task of that name comes.
        try FileManager.default.removeItem(atPath: kept)
        try writeFile(kept, "x\n{\"old\":1}")
        unlink(dir.file("done/x.json"))
        try producer.enqueue(id: "x", data: Data("{}".utf8))
        _ = try #require(try spool.claim("x.json"))
        #expect(!FileManager.default.fileExists(atPath: kept), "the old kept result would be this task's after a crash")
    }

    /// A kept result of a task that is gone, which the start's recovery (or a discard) could not
    /// delete, is remembered: a new task of its name is not claimed while it lies there (a crash
    /// would hand it that result at the next start), and is once it can be deleted.
    @Test(arguments: ["recovery", "discard"])
    func aKeptResultThatCannotBeDeletedHoldsBackTheNextTaskOfItsName(_ path: String) async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let producer = SpoolProducer(directory: dir.path)
        let kept = dir.file("cur/d/.x.json.result")
        var spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        switch path {
        case "recovery":
            // Something recovery cannot delete at the kept result's name of a task that is gone:
            // a directory deeper than it deletes (``FileIO/removeTreeDepth``).
            let deep = String(repeating: "/inner", count: FileIO.removeTreeDepth + 2)
            try FileManager.default.createDirectory(atPath: kept + deep, withIntermediateDirectories: true)
            spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
            #expect(try spool.recoverClaimed().isEmpty)
        default:
            // A task whose result name is taken is discarded; its kept result cannot be deleted.
            try producer.enqueue(id: "x", data: Data("{}".utf8))
            let claimed = try #require(try spool.claim("x.json"))
            try FileManager.default.createDirectory(atPath: kept + "/inner", withIntermediateDirectories: true)
            try spool.discard(claimed)
        }
        #expect(FileManager.default.fileExists(atPath: kept))
        try producer.enqueue(id: "x", data: Data("{}".utf8))
        #expect(throws: TaskQueueError.self) { try spool.claim("x.json") }
        #expect(FileManager.default.fileExists(atPath: dir.file("new/x.json")), "back in new/")
        #expect(!FileManager.default.fileExists(atPath: dir.file("cur/d/x.json")))
        // It can be deleted now (a stale result in its place): the claim deletes it and goes on.
        try FileManager.default.removeItem(atPath: kept)
        try writeFile(kept, "x\n{\"stale\":1}")
        _ = try #require(try spool.claim("x.json"))
        #expect(
            !FileManager.default.fileExists(atPath: kept), "the stale kept result would be this task's after a crash")
    }

    /// A producer can plant something at every result's name: the warning for each replacement
    /// is rate-limited, not one per task.
    @Test func warningsForPlantedResultsAreRateLimited() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let (spool, limiter) = try recordedSpool(in: dir, recorder: recorder)
        let producer = SpoolProducer(directory: dir.path)
        let count = 6
        for index in 0..<count {
            try producer.enqueue(id: "t\(index)", data: Data("{}".utf8))
            let claimed = try #require(try spool.claim("t\(index).json"))
            #expect(mkdir(dir.file("done/t\(index).json"), 0o755) == 0)
            try await spool.complete(claimed, resultID: "t\(index)", result: Data("r".utf8))
            #expect(try String(contentsOfFile: dir.file("done/t\(index).json"), encoding: .utf8) == "r")
        }
        let warnings = recorder.records.filter { $0.contains("replacing something at a result's name") }
        #expect(warnings.count == limiter.burst, "\(warnings)")
    }

    /// An earlier task with the id that finishes while the producer looks for it (its result
    /// into `done/`, then its claim removed) is found all the same: the producer looks where the
    /// task goes after where it was. Looked for the other way round, the new task was queued and
    /// its waiter took the earlier task's result.
    @Test func aTaskThatFinishesWhileTheProducerLooksIsFound() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        var producer = SpoolProducer(directory: dir.path)
        try producer.enqueue(id: "x", data: Data("{}".utf8))
        _ = try #require(try spool.claim("x.json"))
        let (claimed, result) = (dir.file("cur/d/x.json"), dir.file("done/x.json"))
        producer.afterFirstLook = {
            // The delegate finishes the task as it does: the result first, then the claim goes.
            try? writeFile(result, #"{"id":"x","status":"succeeded","result":"the earlier task's"}"#)
            unlink(claimed)
        }
        let refused = #expect(throws: TaskQueueError.self) {
            try producer.enqueue(id: "x", data: Data("{}".utf8))
        }
        #expect(refused?.code == .alreadyExists)
        #expect(refused?.message.contains("waits uncollected in done/") == true, "\(String(describing: refused))")
        #expect(names(in: dir.file("new")).isEmpty, "nothing was queued")
    }

    /// `done/` is writable by every producer: what another one planted at a result's name (a FIFO
    /// held open by a writer, another user's file, a socket, a link) is not taken for the result, and the
    /// wait goes on until the real one is there.
    @Test func producerTakesOnlyTheDelegatesResult() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        let result = dir.file("done/p.json")
        #expect(mkfifo(result, 0o666) == 0)
        // A writer keeps the FIFO open, so a read would find no data rather than an end.
        let writer = open(result, O_RDWR | O_NONBLOCK)
        #expect(writer >= 0)
        defer { close(writer) }
        let planted = await #expect(throws: TaskQueueError.self) {
            try await producer.waitForResult(id: "p", timeout: .milliseconds(1500), removeAfterReading: false)
        }
        #expect(planted?.code == .timedOut)

        // Another user's file at the name.
        #expect(unlink(result) == 0)
        try writeFile(result, "forged")
        #expect(chown(result, 65534, 65534) == 0)
        let forged = await #expect(throws: TaskQueueError.self) {
            try await producer.waitForResult(id: "p", timeout: .milliseconds(1500), removeAfterReading: false)
        }
        #expect(forged?.code == .timedOut)

        // A socket bound at the name (open(2) says ENXIO).
        #expect(unlink(result) == 0)
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socketFD >= 0)
        defer { close(socketFD) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(result.utf8)
        try #require(pathBytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        let socketPlanted = await #expect(throws: TaskQueueError.self) {
            try await producer.waitForResult(id: "p", timeout: .milliseconds(1500), removeAfterReading: false)
        }
        #expect(socketPlanted?.code == .timedOut, "\(String(describing: socketPlanted))")

        // The delegate's result replaces it, and that is taken.
        try SpoolProducer(directory: dir.path).enqueue(id: "p", data: Data("{}".utf8))
        let claimed = try #require(try spool.claim("p.json"))
        try await spool.complete(claimed, resultID: "p", result: Data("real".utf8))
        #expect(try await producer.waitForResult(id: "p", timeout: .seconds(10)) == Data("real".utf8))
    }
}

@Suite struct SpoolDirectoryTests {
    @Test func anExistingUsableDirectoryIsNeverAFailureButAnOddModeIsANotice() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("new")
        #expect(mkdir(path, 0o700) == 0)
        #expect(chmod(path, 0o770) == 0)
        let notices = try SpoolDirectory(path: path, mode: 0o2770).ensure()
        #expect(notices.count == 1)
        #expect(notices.first?.contains("setgid") == true)
        // Untouched: the layout is tmpfiles' to fix, not the daemon's.
        #expect(try mode(of: path) == 0o770)

        #expect(chmod(path, 0o2770) == 0)
        #expect(try SpoolDirectory(path: path, mode: 0o2770).ensure().isEmpty)

        #expect(chmod(path, 0o777) == 0)
        let open = try SpoolDirectory(path: path, mode: 0o2770).ensure()
        #expect(open.first?.contains("world-writable") == true)
    }

    @Test func aMissingDirectoryIsCreatedWithExactlyItsModeWhateverTheUmask() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let shared = dir.file("tmp")
        #expect(try SpoolDirectory(path: shared, mode: 0o2770).ensure().isEmpty)
        #expect(try mode(of: shared) == 0o2770)
        let own = dir.file("cur")
        #expect(try SpoolDirectory(path: own, mode: 0o750).ensure().isEmpty)
        #expect(try mode(of: own) == 0o750)
    }

    @Test func whatTheDaemonCannotUseIsABadLayoutNamingThePath() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        try writeFile(dir.file("plain"), "x")
        #expect {
            try SpoolDirectory(path: dir.file("plain"), mode: 0o750).ensure()
        } throws: { error in
            let error = error as? TaskQueueError
            return error?.code == .badLayout && error?.path == dir.file("plain")
                && error?.message.contains("not a directory") == true
        }
        // A link to a directory is not followed, and not to be moved away as a file is: the
        // spool it leads to holds the tasks.
        let target = dir.file("real-spool")
        #expect(mkdir(target, 0o750) == 0)
        #expect(symlink(target, dir.file("linked")) == 0)
        #expect {
            try SpoolDirectory(path: dir.file("linked"), mode: 0o750).ensure()
        } throws: { error in
            let error = error as? TaskQueueError
            return error?.code == .badLayout && error?.path == dir.file("linked")
                && error?.message.contains(
                    "is a symbolic link, which the delegate does not follow: for spool_dir itself, set [queue] spool_dir"
                ) == true
                && error?.message.contains("move the file away") == false
                && error?.message.contains("a directory in the spool must be one") == true
        }
        #expect {
            try SpoolDirectory(path: dir.file("missing/parent"), mode: 0o750).ensure()
        } throws: { error in
            (error as? TaskQueueError)?.code == .badLayout
                && (error as? TaskQueueError)?.message.contains("parent directory does not exist") == true
        }
    }
}

/// done/ is writable by every producer: what one plants at another's result name is no result.
@Suite struct PlantedResultTests {
    @Test func aPlantedLinkDirectoryOrForeignFileIsNotAResultAndIsReplaced() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        #expect(symlink("/etc/hostname", dir.file("done/linked.json")) == 0)
        #expect(symlink(dir.file("done"), dir.file("done/linked-folder.json")) == 0)
        #expect(symlink(dir.file("nowhere"), dir.file("done/dangling.json")) == 0)
        #expect(mkdir(dir.file("done/folder.json"), 0o755) == 0)
        try writeFile(dir.file("done/folder.json/inside"), "x")
        try writeFile(dir.file("done/foreign.json"), #"{"status":"succeeded","forged":true}"#)
        #expect(chown(dir.file("done/foreign.json"), 65534, 65534) == 0)
        let ids = ["linked", "linked-folder", "dangling", "folder", "foreign"]
        for id in ids {
            #expect(try spool.hasResult(id: id) == false, "\(id)")
            try producer.enqueue(id: id, data: Data("task".utf8))
            let claimed = try #require(try spool.claim("\(id).json"))
            try await spool.complete(claimed, resultID: id, result: Data("real result".utf8))
            #expect(try String(contentsOfFile: dir.file("done/\(id).json"), encoding: .utf8) == "real result")
            #expect(try spool.hasResult(id: id))
        }
        // Only the results: no temporary file left from the attempt that met the planted thing.
        #expect(names(in: dir.file("done")) == ids.map { "\($0).json" }.sorted())
    }

    @Test func aKeptResultWithoutItsTaskIsRemovedAtRecovery() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        try producer.enqueue(id: "kept", data: Data("task".utf8))
        let claimed = try #require(try spool.claim("kept.json"))
        #expect(!claimed.recovered)
        try await spool.keepPendingResult(claimed, resultID: "kept", result: Data("old".utf8))
        // Its task still claimed: the kept result stays for the restart, which finds both.
        let recovered = try spool.recoverClaimed()
        #expect(recovered.map(\.name) == ["kept.json"])
        let again = try #require(recovered.first)
        #expect(again.recovered)
        #expect(try spool.pendingResult(for: again)?.result == Data("old".utf8))
        // A task this run claimed has none: it is not even looked for.
        #expect(try spool.pendingResult(for: claimed) == nil)
        // Its task gone: a later task of the same name must not get it.
        try spool.discard(again)
        #expect(names(in: dir.file("cur/d1")).isEmpty)
        try writeFile(dir.file("cur/d1/.orphan.json.result"), "kept\nold")
        #expect(try spool.recoverClaimed().isEmpty)
        #expect(names(in: dir.file("cur/d1")).isEmpty)
    }

    /// A task an earlier version claimed under a name longer than 200 bytes (which this version
    /// renames in `new/` before claiming) is renamed at recovery with its kept result, and run
    /// again as a recovered task that finds that result; a longer name, whose kept result could
    /// not exist, comes back too.
    @Test func aTaskClaimedUnderAnOverLongNameIsRenamedWithItsKeptResult() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let withResult = String(repeating: "t", count: 205) + ".json"
        let longest = String(repeating: "u", count: 250) + ".json"
        try writeFile(dir.file("cur/d1/" + withResult), "task")
        try writeFile(dir.file("cur/d1/." + withResult + ".result"), "kept-id\nold")
        try writeFile(dir.file("cur/d1/" + longest), "task")

        let recovered = try spool.recoverClaimed()
        let renamed = SpoolName.repairedName(Array(withResult.utf8))
        #expect(Set(recovered.map(\.name)) == [renamed, SpoolName.repairedName(Array(longest.utf8))])
        #expect(recovered.allSatisfy { $0.recovered })
        let task = try #require(recovered.first { $0.name == renamed })
        let kept = try spool.pendingResult(for: task)
        #expect(kept?.resultID == "kept-id" && kept?.result == Data("old".utf8))
        #expect(Set(names(in: dir.file("cur/d1"))) == Set(recovered.map(\.name) + [".\(renamed).result"]))
    }

    /// A name in `cur/` that is not UTF-8 was never claimed (the watcher renames such names in
    /// `new/` first): recovery leaves it, neither a task to run again nor an over-long name to
    /// rename (read as text, its bytes would name no file).
    @Test func recoveryLeavesANameInCurThatIsNotUTF8() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let raw = Array(dir.file("cur/d1/caf").utf8) + [0xE9] + Array(".json".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o600) }
        }
        try #require(fd >= 0)
        close(fd)
        let logged = LogRecorder()
        let recovering = try Spool(directory: dir.path, delegateName: "d1", logger: logged.logger())
        #expect(try recovering.recoverClaimed().isEmpty)
        #expect(!logged.allText.contains("too long"), "\(logged.records)")
        var info = stat()
        #expect(
            raw.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &info) } } == 0)
    }

    /// A result kept beside its task goes with the task, whether this run kept it or an earlier
    /// one did; completing a task that never had one leaves nothing behind either.
    @Test func aKeptResultGoesWithItsTask() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        let producer = SpoolProducer(directory: dir.path)
        for id in ["this-run", "earlier-run", "none"] { try producer.enqueue(id: id, data: Data("task".utf8)) }

        let thisRun = try #require(try spool.claim("this-run.json"))
        try await spool.keepPendingResult(thisRun, resultID: "this-run", result: Data("kept".utf8))
        try await spool.complete(thisRun, resultID: "this-run", result: Data("kept".utf8))

        let earlier = try #require(try spool.claim("earlier-run.json"))
        try await spool.keepPendingResult(earlier, resultID: "earlier-run", result: Data("kept".utf8))
        // A restart: a new Spool finds the task and its kept result.
        let restarted = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        let recovered = try #require(try restarted.recoverClaimed().first)
        #expect(try restarted.pendingResult(for: recovered)?.resultID == "earlier-run")
        try await restarted.complete(recovered, resultID: "earlier-run", result: Data("kept".utf8))

        let none = try #require(try restarted.claim("none.json"))
        try await restarted.complete(none, resultID: "none", result: Data("ran".utf8))

        #expect(names(in: dir.file("cur/d1")).isEmpty)
        #expect(names(in: dir.file("done")) == ["earlier-run.json", "none.json", "this-run.json"])
    }

    /// A kept result whose task is gone (left if the start's recovery could not delete it) is
    /// never used for a later task of its name, and goes with that task.
    @Test func anOrphanedKeptResultIsNeverUsedAndGoesWithTheNextTaskOfItsName() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let spool = try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger)
        try spool.prepare()
        try writeFile(dir.file("cur/d1/.same.json.result"), "same\nstale")
        try SpoolProducer(directory: dir.path).enqueue(id: "same", data: Data("task".utf8))
        let claimed = try #require(try spool.claim("same.json"))
        #expect(try spool.pendingResult(for: claimed) == nil)
        try await spool.complete(claimed, resultID: "same", result: Data("fresh".utf8))
        #expect(names(in: dir.file("cur/d1")).isEmpty)
        #expect(try String(contentsOfFile: dir.file("done/same.json"), encoding: .utf8) == "fresh")
    }
}
