import AWSCore
import Foundation
import Glibc
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A task found claimed after a crash whose result is already in `done/`: that result may be its
/// own, renamed in before its name was made durable, so `done/` is synced before the task file goes.
@Suite struct SpoolRecoveredResultTests {
    /// For a valid task and for one rejected again at the restart (its result then differs from
    /// the one in done/ only in its times, and writing it finds the name taken).
    @Test(arguments: [true, false])
    func doneIsSyncedBeforeTheRecoveredTaskFileGoes(valid: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered")
        let root = directory.url.path
        let taskPath = directory.path("cur/d/t-1.json")
        // Whether the task file was still there at each fsync of done/.
        let syncs = Mutex<[Bool]>([])
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(
            directory: root, delegateName: "d", logger: quiet,
            doneFsync: { _ throws(TaskQueueError) in syncs.withLock { $0.append(access(taskPath, F_OK) == 0) } })
        try spool.prepare()
        let task = valid
            ? #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#
            : "not json"
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: Data(task.utf8))
        _ = try #require(try spool.claim("t-1.json"))
        // The crash: the result was renamed into done/, its name not synced, the task file kept.
        try Data(#"{"id":"t-1","status":"succeeded"}"#.utf8).write(to: URL(fileURLWithPath: directory.path("done/t-1.json")))
        let recovered = try spool.recoverClaimed()
        try #require(recovered.count == 1 && recovered[0].recovered)

        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDRECOVERED")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(recovered[0], receivedAt: Date())

        #expect(syncs.withLock { $0 } == [true], "one sync of done/, while the task file was still there")
        #expect(access(taskPath, F_OK) != 0, "the task file went")
        #expect(FileManager.default.fileExists(atPath: directory.path("done/t-1.json")), "the result stays")
    }
}

/// A recovered task whose result in `done/` cannot be looked at now (here `done` is a link loop
/// for a while: ELOOP, as EIO or EACCES would be) is not run: it may be its own result, from
/// before the restart. It is looked at again, and found, the task is done (DuplicateTask), with
/// no AWS call made.
@Suite struct SpoolRecoveredUncheckableResultTests {
    @Test(.timeLimit(.minutes(1))) func aRecoveredTaskWaitsUntilItsResultCanBeLookedAt() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered-unchecked")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (spool, _) = try SpoolResultKeptLaterTests.claimedPasswordTask(in: directory, logger: quiet)
        try Data(#"{"id":"t-1","status":"succeeded"}"#.utf8).write(to: URL(fileURLWithPath: directory.path("done/t-1.json")))
        let recovered = try #require(try spool.recoverClaimed().first)
        // done/ cannot be looked into for now.
        #expect(rename(directory.path("done"), directory.path("done.away")) == 0)
        #expect(symlink(directory.path("done"), directory.path("done")) == 0)

        let secretsManager = FakeSecretsManager()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: secretsManager, delegateName: "d", accessKeyID: "AKIDUNCHECKED", clock: SystemWallClock())
        let recorder = LogRecorder()
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        #expect(await dispatcher.reserveSlot())
        let run = Task { await intake.runClaimed(recovered, receivedAt: Date()) }
        // It came to the result it cannot look at, and waits.
        #expect(await eventually { recorder.allText.contains("the result in done/ of t-1.json cannot be read now") })
        #expect(access(directory.path("cur/d/t-1.json"), F_OK) == 0, "still claimed while its result cannot be looked at")
        #expect(unlink(directory.path("done")) == 0 && rename(directory.path("done.away"), directory.path("done")) == 0)
        await run.value
        #expect(secretsManager.http.requests.isEmpty, "the task ran: \(secretsManager.http.requests.count) calls")
        #expect(access(directory.path("cur/d/t-1.json"), F_OK) != 0, "done: its file went")
        #expect(FileManager.default.contents(atPath: directory.path("done/t-1.json")) == Data(#"{"id":"t-1","status":"succeeded"}"#.utf8))
    }
}

/// A reload while a recovered task waits to look at `done/` judges it again before it runs: one
/// that takes access away (here: inline connectors turned off) does so at once, with no AWS call.
@Suite struct SpoolRecoveredReadmissionTests {
    @Test(.timeLimit(.minutes(1))) func aReloadWhileARecoveredTaskWaitsJudgesItAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered-readmitted")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (spool, _) = try SpoolResultKeptLaterTests.claimedPasswordTask(in: directory, logger: quiet)
        let recovered = try #require(try spool.recoverClaimed().first)
        let done = directory.path("done")
        #expect(rename(done, done + ".away") == 0 && symlink(done, done) == 0)

        let secretsManager = FakeSecretsManager()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: secretsManager, delegateName: "d", accessKeyID: "AKIDREADMITTED", clock: SystemWallClock())
        let recorder = LogRecorder()
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        #expect(await dispatcher.reserveSlot())
        let run = Task { await intake.runClaimed(recovered, receivedAt: Date()) }
        #expect(await eventually { recorder.allText.contains("the result in done/ of t-1.json cannot be read now") })
        dispatcher.connectors.update(connectors: [:], allowInline: false, credentialMappings: [])
        #expect(unlink(done) == 0 && rename(done + ".away", done) == 0)
        await run.value
        #expect(secretsManager.http.requests.isEmpty, "the task ran: \(secretsManager.http.requests.count) calls")
        let result = try #require(FileManager.default.contents(atPath: done + "/t-1.json"))
        let text = String(decoding: result, as: UTF8.self)
        #expect(text.contains("NotAuthorized") && text.contains("inline connectors"), "\(text)")
    }
}

/// A result done/ refuses, which the disk would not keep beside the claimed task at first either
/// (here a directory stands at the kept result's name for a while), is kept there as soon as the
/// disk takes it, at a later retry: a restart then writes it rather than run the task again.
@Suite struct SpoolResultKeptLaterTests {
    /// A spool of delegate `d` in `directory` with the getRandomPassword task `t-1` claimed.
    static func claimedPasswordTask(in directory: TemporaryDirectory, logger: Logger) throws -> (Spool, ClaimedTask) {
        let spool = try Spool(directory: directory.url.path, delegateName: "d", logger: logger)
        try spool.prepare()
        let task = #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#
        try SpoolProducer(directory: directory.url.path).enqueue(id: "t-1", data: Data(task.utf8))
        return (spool, try #require(try spool.claim("t-1.json")))
    }

    @Test(.timeLimit(.minutes(1))) func aResultTheDiskWouldNotKeepAtFirstIsKeptAtALaterTry() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-kept-later")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (spool, claimed) = try Self.claimedPasswordTask(in: directory, logger: quiet)
        let kept = directory.path("cur/d/.t-1.json.result")
        try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: false)
        let done = directory.path("done")
        #expect(rename(done, done + ".away") == 0 && symlink(done, done) == 0)

        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: FakeSecretsManager(), delegateName: "d", accessKeyID: "AKIDKEPTLATER", clock: SystemWallClock())
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        #expect(await dispatcher.reserveSlot())
        let run = Task { await intake.runClaimed(claimed, receivedAt: Date()) }
        #expect(await eventually { intake.unwritten.current == 1 }, "the result waits to be written")
        #expect(rmdir(kept) == 0, "the disk takes the kept result from now on")
        var info = stat()
        #expect(await eventually { lstat(kept, &info) == 0 && info.st_mode & S_IFMT == S_IFREG }, "kept at a later try")
        #expect(unlink(done) == 0 && rename(done + ".away", done) == 0)
        await run.value
        #expect(FileManager.default.fileExists(atPath: done + "/t-1.json"))
    }
}

/// A spool task writing its result holds no slot, between tries too (it gives its slot up as the
/// writing starts); when the stop
/// cancels it then, it ends at once, leaving the task claimed, though every slot is held by
/// tasks past the stop's grace (which may hold them until their deadlines).
@Suite struct SpoolResultRetryStopTests {
    @Test func aCancelledRetryDoesNotWaitForASlot() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-retry-stop")
        let syncs = Atomic<Int>(0)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (spool, claimed) = try SpoolKeptResultTests.claimedTask(
            directory, logger: quiet,
            doneFsync: { _ throws(TaskQueueError) in
                syncs.add(1, ordering: .relaxed)
                throw TaskQueueError(code: .io, message: "the disk is sick (test)")
            })
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDRETRYSTOP")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)

        #expect(await dispatcher.reserveSlot())  // the intake's slot for the task (concurrency 1)
        let finished = Atomic<Bool>(false)
        let run = Task {
            let slot = HeldSlot { dispatcher.releaseSlots() }
            await intake.runClaimed(claimed, receivedAt: Date(), slot: slot)
            slot.release()
            finished.store(true, ordering: .relaxed)
        }
        #expect(await eventually { syncs.load(ordering: .relaxed) > 0 }, "the result write failed")
        #expect(await dispatcher.reserveSlot())  // the slot the result's writing gave up: a socket task takes it
        dispatcher.stopIntake()
        run.cancel()
        // (A bound for a loaded machine: a run stuck waiting for the slot never ends without it.)
        let ended = await eventually(within: .seconds(90)) { finished.load(ordering: .relaxed) }
        dispatcher.releaseSlots()  // so that a run stuck waiting for it ends
        await run.value
        #expect(ended, "the cancelled retry waited for a slot")
        #expect(FileManager.default.fileExists(atPath: directory.path("cur/d/t-1.json")), "the task stays claimed")
        #expect(dispatcher.slotsInUse() == 0)
    }
}

/// A file that comes to `new/` under the name of a task recovered at start, while that task still
/// runs, waits for it and is taken up as soon as it is done: not claimed into a conflict (an error
/// in the journal) and left until the next rescan.
@Suite struct SpoolRecoveredNameTests {
    @Test(arguments: [false, true])
    func aFileUnderARecoveredTasksNameIsTakenUpWhenThatTaskIsDone(thereAtStart: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered-name")
        let root = directory.url.path
        let recorder = LogRecorder()
        let spool = try Spool(directory: root, delegateName: "d", logger: recorder.logger())
        try spool.prepare()
        func task(_ id: String) -> Data {
            Data(
                (#"{"id":"\#(id)","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
                    + #""operation":"getSecretValue","params":{"name":"db"}}"#).utf8)
        }
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: task("t-1"))
        _ = try #require(try spool.claim("t-1.json"))  // claimed by the run that died

        // Another task under the same file name (its own id), as a producer not using `submit`
        // puts it (`submit` refuses a name still claimed): there at the start, or once it runs.
        func putAnother() {
            try? task("t-2").write(to: URL(fileURLWithPath: directory.path("tmp/t-1.json")))
            #expect(chmod(directory.path("tmp/t-1.json"), 0o640) == 0)
            #expect(rename(directory.path("tmp/t-1.json"), directory.path("new/t-1.json")) == 0)
        }
        if thereAtStart { putAnother() }
        let http = ScriptedHTTPClient()
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let dispatcher = TaskDispatcher(
            executor: ScriptedExecutorFixture.executor(
                http: http, clock: SystemWallClock(), endpoint: ScriptedExecutorFixture.endpoint, maxAttempts: 1,
                accessKeyID: "AKIDRECOVEREDNAME", delegateName: "d"),
            selection: SelectionPolicy(name: "d", tags: [], acceptUntagged: true), concurrency: 2,
            clock: SystemWallClock(), status: DelegateStatus(startedAt: Date()))
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        let recovered = await intake.recover()
        let watcher = try spool.watch(rescanInterval: .seconds(3600), holding: recovered.map(\.name))
        #expect(recovered.map(\.name) == ["t-1.json"])
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: recovered) }

        #expect(await eventually { http.holding == 1 }, "the recovered task runs")
        if !thereAtStart { putAnother() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(FileManager.default.fileExists(atPath: directory.path("new/t-1.json")), "it waits in new/")
        http.removeScripts()
        http.always(.any, ScriptedExecutorFixture.secret())
        http.releaseHeld()
        #expect(await eventually(within: .seconds(30)) {
            FileManager.default.fileExists(atPath: directory.path("done/t-1.json"))
                && FileManager.default.fileExists(atPath: directory.path("done/t-2.json"))
        }, "both results, the second without a rescan")
        #expect(!recorder.records.contains { $0.contains("cannot be claimed") }, "\(recorder.records)")
        dispatcher.stopIntake()
        watcher.stop()
        await running.value
        await watching.value
    }
}

/// The selectors are checked on the bytes that run: a claimed file that was not what the peek
/// matched (replaced in between, or not judged then) and is for other delegates goes back to
/// `new/` unrun; if a new file of its name is there already, it is answered `NotSelected`.
@Suite struct SpoolClaimedSelectorTests {
    static let forProd = Data(
        (#"{"id":"t-prod","connector":{"id":"c","region":"us-east-1","delegateSelectors":["prod"],"#
            + #""credentials":{"type":"instanceRole"}},"operation":"getSecretValue","params":{"name":"db"}}"#).utf8)

    /// Also one recovered at start: a run that claimed it may have stopped (killed, or a stop
    /// during a read's retry) before it judged it, or the tags changed since.
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func aClaimedTaskForOthersGoesBackUnrun(newFileOfItsNameMeanwhile: Bool, recovered: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-claimed-selectors")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-prod", data: Self.forProd)
        var claimed = try #require(try spool.claim("t-prod.json"))
        if recovered { claimed = ClaimedTask(name: claimed.name, path: claimed.path, recovered: true) }
        if newFileOfItsNameMeanwhile { try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.path("new/t-prod.json"))) }
        let http = ScriptedHTTPClient()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, accessKeyID: "AKIDSELECTORS", tags: ["dev"], endpoint: ScriptedExecutorFixture.endpoint,
            clock: SystemWallClock())
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)

        // Claimed without a peek that judged it.
        await intake.runClaimed(claimed, receivedAt: Date())

        #expect(http.requests.isEmpty, "it did not run")
        #expect(!FileManager.default.fileExists(atPath: directory.path("cur/d/t-prod.json")))
        if newFileOfItsNameMeanwhile {
            let result = try String(contentsOfFile: directory.path("done/t-prod.json"), encoding: .utf8)
            #expect(result.contains(#""code":"NotSelected""#), "\(result)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("new/t-prod.json"))) == Data("{}".utf8))
        } else {
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("new/t-prod.json"))) == Self.forProd)
            #expect(!FileManager.default.fileExists(atPath: directory.path("done/t-prod.json")))
        }
    }
}

/// A task recovered at start whose result is in done/ already (its run died before removing it)
/// is done, whatever the tags now: discarded as a DuplicateTask, not handed back to new/ to run
/// again (its producer may have collected that result; a second would wait for no one).
@Suite struct SpoolRecoveredDoneTaskTests {
    @Test func aRecoveredTaskWhoseResultWaitsIsNotHandedBack() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered-done")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-prod", data: SpoolClaimedSelectorTests.forProd)
        let claimed = try #require(try spool.claim("t-prod.json"))
        let result = Data(#"{"id":"t-prod","status":"succeeded"}"#.utf8)
        try result.write(to: URL(fileURLWithPath: directory.path("done/t-prod.json")))
        let http = ScriptedHTTPClient()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, accessKeyID: "AKIDRECOVEREDDONE", tags: ["dev"], endpoint: ScriptedExecutorFixture.endpoint,
            clock: SystemWallClock())
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)

        await intake.runClaimed(ClaimedTask(name: claimed.name, path: claimed.path, recovered: true), receivedAt: Date())

        #expect(http.requests.isEmpty, "it did not run")
        #expect(!FileManager.default.fileExists(atPath: directory.path("new/t-prod.json")), "not handed back")
        #expect(!FileManager.default.fileExists(atPath: directory.path("cur/d/t-prod.json")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("done/t-prod.json"))) == result)
    }
}

/// A result that cannot be written (`done/` is no directory) says what becomes of the task: kept
/// beside the claimed task, it is not run again; where that cannot be kept either (something
/// else at its place), it is kept in memory only, and the line says a stop runs the task again at
/// the next start, not that it never runs again.
@Suite struct SpoolUnwritableResultTests {
    @Test(arguments: [true, false])
    func theLineSaysWhetherTheResultOutlivesAStop(keptOnDisk: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-unwritable")
        let recorder = LogRecorder()
        let (spool, claimed) = try SpoolKeptResultTests.unwritableSpool(directory, logger: recorder.logger())
        if !keptOnDisk {
            // A directory (not empty) where the kept result would go: renaming onto it fails.
            try FileManager.default.createDirectory(
                atPath: directory.path("cur/d/.t-1.json.result/x"), withIntermediateDirectories: true)
        }
        let said = try await SpoolKeptResultTests.unwritableLine(spool, claimed, recorder: recorder)
        if keptOnDisk {
            #expect(said.contains("kept beside the claimed task and retried, the task is not run again"), "\(said)")
        } else {
            #expect(said.contains("kept in memory and retried while the delegate runs (kept on disk as soon as it can be); if it stops first, the task runs again"), "\(said)")
            #expect(!said.contains("not run again"), "\(said)")
            #expect(recorder.records.contains { $0.contains("cannot be kept on disk either") })
        }
    }
}

/// A result kept beside its claimed task is kept: the line says the task is not run again when
/// the result was kept before a restart (it is not written there again), and when only the
/// directory's fsync failed after the kept file was renamed into place.
@Suite struct SpoolKeptResultTests {
    static let task =
        #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#

    /// A spool of delegate `d` with `t-1.json` (a `getRandomPassword` task) claimed.
    static func claimedTask(
        _ directory: TemporaryDirectory, logger: Logger,
        doneFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory,
        claimsFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory
    ) throws -> (Spool, ClaimedTask) {
        let root = directory.url.path
        let spool = try Spool(
            directory: root, delegateName: "d", logger: logger, doneFsync: doneFsync, claimsFsync: claimsFsync)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: Data(task.utf8))
        return (spool, try #require(try spool.claim("t-1.json")))
    }

    /// ``claimedTask(_:logger:doneFsync:claimsFsync:)`` with `done/` a file, where no result can be written.
    static func unwritableSpool(
        _ directory: TemporaryDirectory, logger: Logger,
        claimsFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory
    ) throws -> (Spool, ClaimedTask) {
        let (spool, claimed) = try claimedTask(directory, logger: logger, claimsFsync: claimsFsync)
        try FileManager.default.removeItem(atPath: directory.path("done"))
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory.path("done")))
        return (spool, claimed)
    }

    /// Runs `claimed` until the unwritable result's line is logged, then stops; the line.
    static func unwritableLine(
        _ spool: Spool, _ claimed: ClaimedTask, recorder: LogRecorder
    ) async throws -> String {
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDKEPT")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        let run = Task { await intake.runClaimed(claimed, receivedAt: Date()) }
        func line() -> String? { recorder.records.first { $0.contains("cannot be written") } }
        #expect(await eventually(within: .seconds(60)) { line() != nil }, "\(recorder.records)")
        dispatcher.stopIntake()
        run.cancel()
        await run.value
        return try #require(line())
    }

    @Test func aResultKeptBeforeARestartIsNotWrittenThereAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-kept-before")
        let recorder = LogRecorder()
        let (spool, claimed) = try Self.unwritableSpool(directory, logger: recorder.logger())
        let kept = directory.path("cur/d/.t-1.json.result")
        try Data("t-1\n{\"id\":\"t-1\",\"status\":\"succeeded\"}".utf8).write(to: URL(fileURLWithPath: kept))
        #expect(chmod(kept, 0o600) == 0)
        var before = stat()
        #expect(stat(kept, &before) == 0)

        let said = try await Self.unwritableLine(
            spool, ClaimedTask(name: claimed.name, path: claimed.path, recovered: true), recorder: recorder)
        #expect(recorder.records.contains { $0.contains("writing the result kept from before the restart") })
        #expect(said.contains("kept beside the claimed task and retried, the task is not run again"), "\(said)")
        #expect(!recorder.records.contains { $0.contains("cannot be kept on disk either") })
        var after = stat()
        #expect(stat(kept, &after) == 0)
        #expect(after.st_ino == before.st_ino, "the kept file was not written again")
    }

    @Test func aKeptResultWhoseDirectoryCannotBeSyncedIsKept() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-kept-unsynced")
        let recorder = LogRecorder()
        let (spool, claimed) = try Self.unwritableSpool(
            directory, logger: recorder.logger(),
            claimsFsync: { path throws(TaskQueueError) in
                throw TaskQueueError(code: .io, message: "fsync failed", path: path, errno: EIO)
            })
        let said = try await Self.unwritableLine(spool, claimed, recorder: recorder)
        #expect(said.contains("kept beside the claimed task and retried, the task is not run again"), "\(said)")
        #expect(recorder.records.contains { $0.contains("is in place, but") && $0.contains("could not be synced") })
        #expect(FileManager.default.fileExists(atPath: directory.path("cur/d/.t-1.json.result")))
    }
}

/// While a result cannot be written (here `done/`'s fsync fails: a sick disk), the spool claims
/// no new task: a backlog in `new/` is not run for results nobody could collect. Once the disk
/// heals, the waiting result is written and the backlog taken up.
@Suite struct SpoolUnwrittenResultPauseTests {
    @Test func noNewTaskIsClaimedWhileAResultCannotBeWritten() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-unwritten-pause")
        let root = directory.url.path
        let sick = Atomic<Bool>(true)
        let failedSyncs = Atomic<Int>(0)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(
            directory: root, delegateName: "d", logger: quiet,
            doneFsync: { _ throws(TaskQueueError) in
                guard sick.load(ordering: .relaxed) else { return }
                failedSyncs.add(1, ordering: .relaxed)
                throw TaskQueueError(code: .io, message: "the disk is sick (test)")
            })
        try spool.prepare()
        let producer = SpoolProducer(directory: root)
        let ids = (1...5).map { "t-\($0)" }
        for id in ids {
            let task = #"{"id":"\#(id)","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#
            try producer.enqueue(id: id, data: Data(task.utf8))
        }
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDUNWRITTEN")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        let watcher = try spool.watch(rescanInterval: .seconds(3600), holding: [])
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: []) }
        func waiting() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path("new"))) ?? []).count
        }

        #expect(await eventually(within: .seconds(30)) { failedSyncs.load(ordering: .relaxed) > 0 }, "a result write failed")
        // The retry gives its slot up at once and tries again after 1 s: time for the next
        // claim, were it made.
        try await Task.sleep(for: .seconds(3))
        #expect(waiting() == ids.count - 1, "only the first task was claimed")
        #expect(dispatcher.status.snapshot.succeeded <= 1)

        sick.store(false, ordering: .relaxed)
        #expect(await eventually(within: .seconds(60)) {
            ids.allSatisfy { FileManager.default.fileExists(atPath: directory.path("done/\($0).json")) }
        }, "every result once the disk heals")
        #expect(waiting() == 0)
        dispatcher.stopIntake()
        watcher.stop()
        await running.value
        await watching.value
    }
}

/// A task without an id of its own in a file whose stem is no id answers in
/// `done/invalid-name-<hex>.json`: never under an id a producer could be waiting on (`a b.json`
/// was answered in `done/a_b.json`, which `submit --spool --wait` for task `a_b` took as its own).
@Suite struct SpoolInvalidStemResultTests {
    @Test func stemsThatAreNoIDNameResultsNoProducerWaitsOn() {
        let long = String(repeating: "p", count: 140)
        let stems = ["a b", "a:b", "a+b", long + "x", long + "y"]
        let ids = stems.map(SpoolIntake.resultID(for:))
        #expect(Set(ids).count == stems.count, "\(ids)")
        for id in ids {
            #expect(DelegateTask.isValidID(id) && id.hasPrefix("invalid-name-"), "\(id)")
        }
        #expect(SpoolIntake.resultID(for: "a_b") == "a_b")
        // As the contract's example says.
        #expect(SpoolIntake.resultID(for: "a b") == "invalid-name-612062")
    }

    @Test func anIDlessTaskInABadlyNamedFileIsNotAnsweredUnderAnotherID() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-bad-stem")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        let path = directory.path("new/a b.json")
        try Data(#"{"connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o640) == 0)
        let claimed = try #require(try spool.claim("a b.json"))
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDBADSTEM")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(claimed, receivedAt: Date())

        let done = try FileManager.default.contentsOfDirectory(atPath: directory.path("done"))
        #expect(done == [SpoolIntake.resultID(for: "a b") + ".json"], "\(done)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("done/a_b.json")))
    }
}
