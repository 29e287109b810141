import Foundation
import Logging
import JSON
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// No spool task starts once the delegate is stopping: one claimed as the stop began goes back
/// to `new/`, unstarted, for the next start or another delegate; one claimed before it, whose
/// file is read after, stays claimed for the next start.
@Suite struct SpoolClaimAtStopTests {
    @Test func aTaskClaimedAsTheStopBeganGoesBackToNew() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-claim-stop")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        let task = Data(
            #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#
                .utf8)
        let producer = SpoolProducer(directory: root)
        for id in ["t-1", "t-2"] { try producer.enqueue(id: id, data: task) }
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDCLAIMSTOP")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)

        // Before the stop: claimed, to run.
        let claimed = try #require(try intake.claimToRun("t-1.json"))
        #expect(claimed.path == directory.path("cur/d/t-1.json"))

        dispatcher.stopIntake()
        #expect(try intake.claimToRun("t-2.json") == nil)
        #expect(FileManager.default.contents(atPath: directory.path("new/t-2.json")) == task, "back in new/, as it was")
        #expect(!FileManager.default.fileExists(atPath: directory.path("cur/d/t-2.json")))
        #expect(try spool.recoverClaimed().map(\.name) == ["t-1.json"])

        // The one claimed before the stop, its file read after it: not run, it stays claimed.
        await intake.runClaimed(claimed, receivedAt: dispatcher.now)
        #expect(FileManager.default.fileExists(atPath: directory.path("cur/d/t-1.json")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("done/t-1.json")))
        let counts = dispatcher.status.snapshot
        #expect(counts.succeeded + counts.failed == 0)
    }
}

/// The start's listing of the tasks an earlier run claimed is tried again when it fails for a
/// passing reason (here `cur/d` is a file for a while): they run now, not at the next start.
@Suite struct SpoolRecoveryRetryTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A restart of delegate `d` on the spool at `root` whose claim directory cannot be listed
    /// (a file in its place) until `listable` is called: the new spool and its intake.
    func restartWithClaimsUnlistable(
        root: String, logger: Logger? = nil
    ) throws -> (Spool, SpoolIntake, listable: () -> Void) {
        let claims = root + "/cur/d"
        #expect(rename(claims, claims + ".aside") == 0)
        #expect(FileManager.default.createFile(atPath: claims, contents: Data()))
        let restarted = try Spool(directory: root, delegateName: "d", logger: quiet)
        let intake = SpoolIntake(
            spool: restarted,
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDRETRY"),
            logLimiter: LogRateLimiter(), logger: logger ?? quiet)
        return (
            restarted, intake,
            {
                unlink(claims)
                rename(claims + ".aside", claims)
            }
        )
    }

    @Test(arguments: [1, 4]) func aListingThatFailsIsTriedAgain(failures: Int) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovery-retry")
        let root = directory.url.path
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: Data(#"{"id":"t-1"}"#.utf8))
        _ = try #require(try spool.claim("t-1.json"))
        // The restart: the claim directory cannot be listed until `failures` listings failed.
        let recorder = LogRecorder()
        let (_, intake, listable) = try restartWithClaimsUnlistable(root: root, logger: recorder.logger())
        var pauses: [Duration] = []
        let recovered = await intake.recover { delay in
            pauses.append(delay)
            if pauses.count == failures { listable() }
        }
        if failures < SpoolIntake.recoveryAttempts {
            #expect(pauses == [.milliseconds(500)])
            #expect(recovered.map(\.name) == ["t-1.json"])
        } else {
            #expect(pauses == [.milliseconds(500), .seconds(1), .seconds(2)])
            #expect(recovered.isEmpty, "given up after four listings")
            // Said with its event and the directory, the last time as an error.
            let said = recorder.records.filter { $0.contains("event=spool-recovery-failed") }
            #expect(said.count == 4 && said.allSatisfy { $0.contains("directory=\(root)/cur/d") }, "\(said)")
            #expect(said.last?.hasPrefix("error") == true, "\(said)")
        }
    }

    /// A recovery that gave up leaves the kept results of the earlier run unknown: a task of the
    /// name of one whose task is gone deletes it when claimed, as the recovery would have, so a
    /// crash while it runs cannot answer it with the old result at the next start.
    @Test func aKeptResultAGivenUpRecoveryLeftIsDeletedByTheNextClaimOfItsName() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovery-kept")
        let root = directory.url.path
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        // An earlier run wrote x.json's result, deleted the task and died before its kept result.
        let kept = directory.path("cur/d/.x.json.result")
        #expect(FileManager.default.createFile(atPath: kept, contents: Data("x\n{\"id\":\"x\",\"old\":true}".utf8)))
        let (restarted, intake, listable) = try restartWithClaimsUnlistable(root: root)
        #expect(await intake.recover { _ in }.isEmpty)
        listable()

        try SpoolProducer(directory: root).enqueue(id: "x", data: Data(#"{"id":"x"}"#.utf8))
        let claimed = try #require(try restarted.claim("x.json"))
        #expect(!FileManager.default.fileExists(atPath: kept), "the old kept result was deleted at the claim")
        // The next start's recovery finds the new task, with no result to answer it with.
        let next = try Spool(directory: root, delegateName: "d", logger: quiet)
        let again = try next.recoverClaimed()
        #expect(again.map(\.name) == [claimed.name])
        #expect(try again.first.flatMap { try next.pendingResult(for: $0) } == nil)
    }

    /// ... but a kept result whose task is still claimed (not rerun, the recovery having given
    /// up) is that task's: a new file of its name is not claimed, and the result is kept for the
    /// next start, which writes it instead of repeating the AWS call.
    @Test func aKeptResultOfATaskStillClaimedIsKeptAfterAGivenUpRecovery() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovery-kept-claimed")
        let root = directory.url.path
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "x", data: Data(#"{"id":"x"}"#.utf8))
        let claimed = try #require(try spool.claim("x.json"))
        try await spool.keepPendingResult(
            claimed, resultID: "x", result: Data(#"{"id":"x","status":"succeeded"}"#.utf8))
        let (restarted, intake, listable) = try restartWithClaimsUnlistable(root: root)
        #expect(await intake.recover { _ in }.isEmpty)
        listable()

        // A producer renames another x.json into new/ (only submit refuses a name still claimed).
        #expect(FileManager.default.createFile(atPath: root + "/new/x.json", contents: Data(#"{"id":"x"}"#.utf8)))
        #expect(throws: TaskQueueError.self) { try restarted.claim("x.json") }
        #expect(FileManager.default.fileExists(atPath: root + "/cur/d/.x.json.result"))
        let next = try Spool(directory: root, delegateName: "d", logger: quiet)
        let again = try next.recoverClaimed()
        #expect(try again.first.flatMap { try next.pendingResult(for: $0) }?.resultID == "x")
    }
}

/// A kept result that cannot be deleted holds back a new task of its name in `new/`: looked at
/// again at the next rescan, not claimed and put back in a loop (each move an event offering it
/// again at once).
@Suite struct SpoolKeptResultLeftTests {
    @Test(.timeLimit(.minutes(1))) func aTaskHeldBackByAKeptResultIsNotTriedInALoop() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-kept-left")
        let root = directory.url.path
        let recorder = LogRecorder()
        let logger = recorder.logger()
        // Every line logged, so that the count is the number of tries.
        let limiter = LogRateLimiter(burst: 1_000_000)
        let kept = directory.path("cur/d/.x.json.result")
        let first = try Spool(directory: root, delegateName: "d", logger: logger, logLimiter: limiter)
        try first.prepare()
        // Something recovery cannot delete at the kept result's name: a directory deeper than it
        // deletes (32 levels).
        let deep = String(repeating: "/inner", count: 40)
        try FileManager.default.createDirectory(atPath: kept + deep, withIntermediateDirectories: true)
        let spool = try Spool(directory: root, delegateName: "d", logger: logger, logLimiter: limiter)
        let intake = SpoolIntake(
            spool: spool,
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDKEPTLEFT"),
            logLimiter: limiter, logger: logger)
        let recovered = await intake.recover()
        let watcher = try spool.watch(rescanInterval: .seconds(3600), holding: recovered.map(\.name))
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: recovered) }
        try SpoolProducer(directory: root).enqueue(id: "x", data: Data(#"{"id":"x"}"#.utf8))
        func tries() -> Int {
            recorder.records.filter { $0.contains("the result kept for x.json cannot be deleted") }.count
        }
        // The first try, however long a loaded machine takes to get there; then 2 s without a loop.
        #expect(await eventually(within: .seconds(30)) { tries() >= 1 }, "never tried")
        try await Task.sleep(for: .seconds(2))
        watcher.stop()
        await running.value
        await watching.value
        #expect((1...3).contains(tries()), "\(tries()) tries")
        #expect(FileManager.default.fileExists(atPath: directory.path("new/x.json")), "held back in new/")
        // The status says a task cannot be claimed, until its entry leaves new/.
        let shown = intake.claimFailure.current
        #expect(shown?.hasPrefix("new/x.json: ") == true && shown?.contains("cannot be deleted") == true, "\(String(describing: shown))")
        intake.claimFailure.forgetIfGone(spoolDirectory: root)
        #expect(intake.claimFailure.current == shown, "still in new/")
        try FileManager.default.removeItem(atPath: directory.path("new/x.json"))
        intake.claimFailure.forgetIfGone(spoolDirectory: root)
        #expect(intake.claimFailure.current == nil)
    }

    /// The last claim that failed is shown until a claim succeeds.
    @Test func aClaimFailureIsShownUntilAClaimSucceeds() throws {
        let directory = try TemporaryDirectory(prefix: "spool-claim-failure")
        let failure = SpoolClaimFailure()
        #expect(failure.current == nil)
        try FileManager.default.createDirectory(atPath: directory.path("new"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.path("new/x\n.json")))
        failure.failed("x\n.json", "EROFS: Read-only file system")
        failure.forgetIfGone(spoolDirectory: directory.url.path)
        #expect(failure.current != nil, "still in new/")
        #expect(failure.current == "new/x\\u{a}.json: EROFS: Read-only file system")
        failure.claimed()
        #expect(failure.current == nil)
    }
}

/// A spool task that gives a key twice is rejected by every delegate, whatever its selectors: the
/// first delegate to see it claims it and answers `InvalidTask`, rather than leave it in `new/`
/// for a delegate its first selectors name, which would only reject it (or for none, forever).
@Suite struct SpoolDuplicateKeyTests {
    @Test(.timeLimit(.minutes(1))) func aTaskGivingAKeyTwiceIsAnsweredWhateverItsSelectors() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-duplicate-key")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        let intake = SpoolIntake(
            spool: spool,
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDTWICE"),
            logLimiter: LogRateLimiter(), logger: quiet)
        let task = """
            {"id":"t-twice","operation":"getSecretValue","params":{"name":"db"},"connector":{"id":"c",\
            "region":"us-east-1","delegateSelectors":["gpu"],"delegateSelectors":["gpu"],"credentials":{"type":"instanceRole"}}}
            """
        try SpoolProducer(directory: root).enqueue(id: "t-twice", data: Data(task.utf8))
        let watcher = try spool.watch(rescanInterval: .seconds(3600), holding: [])
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: []) }
        let result = root + "/done/t-twice.json"
        let answered = await eventually { FileManager.default.fileExists(atPath: result) }
        watcher.stop()
        await running.value
        await watching.value
        #expect(answered, "no result in done/")
        let text = (try? String(contentsOfFile: result, encoding: .utf8)) ?? ""
        #expect(text.contains("InvalidTask") && text.contains("twice"), "\(text)")
    }
}

/// A spool task left for another delegate is logged with its id only when the id is valid: the
/// producer's text (up to the file's 1 MiB, line breaks included) is no `TASK_ID`; the file's
/// name stands for it.
@Suite struct SpoolForeignTaskLogTests {
    @Test(.timeLimit(.minutes(1))) func aForeignTasksInvalidIDIsNotLogged() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-foreign-log")
        let root = directory.url.path
        let recorder = LogRecorder()
        let spool = try Spool(directory: root, delegateName: "d", logger: recorder.logger())
        try spool.prepare()
        let intake = SpoolIntake(
            spool: spool,
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDFOREIGN"),
            logLimiter: LogRateLimiter(), logger: recorder.logger())
        let task = JSONValue.object([
            "id": .string("forged\nTASK_ID=victim"), "operation": "getSecretValue", "params": ["name": "db"],
            "connector": [
                "id": "c", "region": "us-east-1", "delegateSelectors": ["gpu"], "credentials": ["type": "instanceRole"],
            ],
        ]).jsonText
        try SpoolProducer(directory: root).enqueue(id: "gpu-task", data: Data(task.utf8))
        let watcher = try spool.watch(rescanInterval: .seconds(3600), holding: [])
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: []) }
        let logged = await eventually {
            recorder.records.contains { $0.contains("spool task left for another delegate") }
        }
        watcher.stop()
        await running.value
        await watching.value
        #expect(logged, "\(recorder.records)")
        let left = recorder.records.filter { $0.contains("spool task left for another delegate") }
        #expect(left.allSatisfy { $0.contains("task_id=gpu-task") && !$0.contains("forged") }, "\(left)")
    }
}

/// A claimed task file that cannot be deleted is named by its task's id too (`TASK_ID`), so that
/// one task's history (`journalctl TASK_ID=...`) shows it, not only a file name in the message.
@Suite struct SpoolUndeletableTaskLogTests {
    @Test func theLineForATaskFileThatCannotBeDeletedCarriesItsTaskID() throws {
        let directory = try TemporaryDirectory(prefix: "spool-undeletable")
        let root = directory.url.path
        let recorder = LogRecorder()
        let logger = recorder.logger()
        let spool = try Spool(directory: root, delegateName: "d", logger: logger)
        try spool.prepare()
        // A path under a regular file: unlink fails with ENOTDIR, even for root.
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path("cur/d/plain")))
        let intake = SpoolIntake(
            spool: spool,
            dispatcher: ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDUNDELETABLE"),
            logLimiter: LogRateLimiter(burst: 1_000), logger: logger)
        // A file named otherwise than its task's id: the line names the task.
        intake.discard(
            ClaimedTask(name: "build-7.json", path: directory.path("cur/d/plain/build-7.json")), resultID: "deploy-42")
        let lines = recorder.records.filter { $0.contains("the task file build-7.json cannot be deleted") }
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("error ") == true)
        #expect(lines.first?.contains("task_id=deploy-42") == true)
    }
}
