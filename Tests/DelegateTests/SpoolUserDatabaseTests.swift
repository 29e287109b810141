import Foundation
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A spool task whose owner a connector admits only by a group, while the user database cannot
/// list the owner's groups (a directory service down): not answered and removed, but put back
/// into `new/` and looked at again no sooner than a pause later, when it runs.
@Suite struct SpoolUserDatabaseTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A spool at `root` whose one delegate (`d`, tagged `prod`) has connector `prod`, which admits
    /// group 4242 only, and asks `groupsOf` for a task owner's groups.
    func intake(
        at root: String, logger: Logger? = nil, groupsOf: @escaping @Sendable (UInt32) -> Set<UInt32>?
    ) throws -> (Spool, TaskDispatcher, SpoolIntake, ManualClock) {
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        let catalog = ConnectorCatalog(
            connectors: [
                "prod": NamedConnector(
                    connector: Connector(
                        id: "prod", region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: ["prod"],
                        credentials: .instanceRole),
                    policy: ConnectorPolicy(allowedGroups: ["4242"]), origin: "[connectors.prod]")
            ],
            groupsOf: groupsOf)
        let clock = ManualClock()
        let dispatcher = TaskDispatcher(
            executor: ScriptedExecutorFixture.executor(
                http: FakeSecretsManager(), clock: clock, endpoint: "http://secretsmanager.test", maxAttempts: 1,
                accessKeyID: "AKIDUSERDB", delegateName: "d"),
            selection: SelectionPolicy(name: "d", tags: ["prod"], acceptUntagged: true), concurrency: 1, clock: clock,
            status: DelegateStatus(startedAt: Date()), connectors: catalog)
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: logger ?? quiet)
        return (spool, dispatcher, intake, clock)
    }

    @Test func aTaskWhoseOwnersGroupsCannotBeListedWaitsInNewAndRunsOnceTheyCan() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-user-db")
        let root = directory.url.path
        let answering = Mutex(false)
        let (_, dispatcher, intake, clock) = try intake(at: root) { _ in answering.withLock { $0 } ? [4242] : nil }
        let task = Data(#"{"id":"t-1","connector":"prod","operation":"getRandomPassword","params":{}}"#.utf8)
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: task)
        // Its owner is uid 4244, whom only the group could admit.
        #expect(chown(directory.path("new/t-1.json"), 4244, 4244) == 0)

        let claimed = try #require(try intake.claimToRun("t-1.json"))
        await intake.runClaimed(claimed, receivedAt: dispatcher.now)
        #expect(FileManager.default.contents(atPath: directory.path("new/t-1.json")) == task, "back in new/, as it was")
        #expect(!FileManager.default.fileExists(atPath: directory.path("done/t-1.json")), "not answered")
        #expect(dispatcher.status.snapshot.rejected == 0)
        #expect(intake.deferred.isWaiting("t-1.json", now: clock.now()))
        #expect(intake.deferred.isWaiting("t-1.json", now: clock.now().addingTimeInterval(DeferredSpoolTasks.pause - 0.5)))

        // The database answers again; after the pause the task is looked at, claimed and run.
        answering.withLock { $0 = true }
        clock.advance(by: DeferredSpoolTasks.pause)
        #expect(!intake.deferred.isWaiting("t-1.json", now: clock.now()))
        let again = try #require(try intake.claimToRun("t-1.json"))
        await intake.runClaimed(again, receivedAt: dispatcher.now)
        let result = try TaskResult.decode(jsonLine: try #require(FileManager.default.contents(atPath: directory.path("done/t-1.json"))))
        // It ran: the call reached the (fake) endpoint, whose answer it carries.
        #expect(result.attempts == 1 && result.error?.awsRequestId == "req-fake", "\(result)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("new/t-1.json")))
    }

    /// A task that cannot go back (a new file of its name came into new/ meanwhile) is answered,
    /// retryable, as before, and the journal says why.
    @Test func aTaskThatCannotGoBackIsAnsweredSayingWhy() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-user-db-taken")
        let root = directory.url.path
        let recorder = LogRecorder()
        let (_, dispatcher, intake, _) = try intake(at: root, logger: recorder.logger()) { _ in nil }
        try SpoolProducer(directory: root).enqueue(
            id: "t-1", data: Data(#"{"id":"t-1","connector":"prod","operation":"getRandomPassword","params":{}}"#.utf8))
        #expect(chown(directory.path("new/t-1.json"), 4244, 4244) == 0)
        let claimed = try #require(try intake.claimToRun("t-1.json"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.path("new/t-1.json")))
        await intake.runClaimed(claimed, receivedAt: dispatcher.now)
        let result = try TaskResult.decode(jsonLine: try #require(FileManager.default.contents(atPath: directory.path("done/t-1.json"))))
        #expect(result.error?.code == .notAuthorized && result.error?.retryable == true, "\(result)")
        #expect(recorder.allText.contains("cannot go back to new/ to be tried again, so it is answered: a new file of its name is there"),
            "\(recorder.allText)")
        #expect(!intake.deferred.isWaiting("t-1.json", now: dispatcher.now))
    }

    /// The names and owners put back are bounded, and a clock set back past when one was put
    /// back frees it.
    @Test func deferredNamesAreBoundedAndAClockSetBackFreesThem() {
        let deferred = DeferredSpoolTasks()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        deferred.defer("a.json", owner: 4244, now: now)
        #expect(deferred.isWaiting("a.json", now: now.addingTimeInterval(1)))
        #expect(deferred.isWaiting(owner: 4244, now: now.addingTimeInterval(1)) && !deferred.isWaiting(owner: 4245, now: now))
        #expect(!deferred.isWaiting("a.json", now: now.addingTimeInterval(-60)), "a clock set back")
        #expect(!deferred.isWaiting("a.json", now: now), "forgotten once free")
        #expect(!deferred.isWaiting(owner: 4244, now: now.addingTimeInterval(DeferredSpoolTasks.pause)))
        for index in 0..<DeferredSpoolTasks.capacity { deferred.defer("t-\(index).json", owner: 1, now: now) }
        #expect(deferred.count == DeferredSpoolTasks.capacity)
        deferred.defer("one-more.json", owner: 1, now: now.addingTimeInterval(DeferredSpoolTasks.pause))
        #expect(deferred.count == 1, "those whose time came went")
    }

    /// Through the watcher, as the daemon runs it: a task put back is not looked at again from
    /// the event its return makes, nor are its owner's other tasks asked about: three tasks of one
    /// owner cost one question of the database, not a loop of them, and all three wait in new/.
    @Test(.timeLimit(.minutes(1))) func oneOwnersTasksPutBackCostOneQuestionAndNoLoop() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-user-db-loop")
        let root = directory.url.path
        let lookups = Mutex(0)
        let (spool, dispatcher, intake, _) = try intake(at: root) { _ in
            lookups.withLock { $0 += 1 }
            return nil
        }
        let watcher = try spool.watch(rescanInterval: .seconds(60), holding: [])
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: []) }
        // Each file is the owner's (uid 4244) before it appears in new/.
        for id in ["t-1", "t-2", "t-3"] {
            let temporary = directory.path("tmp/\(id).json")
            try Data(#"{"id":"\#(id)","connector":"prod","operation":"getRandomPassword","params":{}}"#.utf8)
                .write(to: URL(fileURLWithPath: temporary))
            #expect(chmod(temporary, 0o640) == 0 && chown(temporary, 4244, 4244) == 0)
            #expect(rename(temporary, directory.path("new/\(id).json")) == 0)
        }
        #expect(await eventually(within: .seconds(30)) { lookups.withLock { $0 } >= 1 })
        try await Task.sleep(for: .seconds(2))
        #expect(lookups.withLock { $0 } == 1, "one question of the database, not one a task or a loop")
        for id in ["t-1", "t-2", "t-3"] {
            #expect(FileManager.default.fileExists(atPath: directory.path("new/\(id).json")), "\(id) waits in new/")
            #expect(!FileManager.default.fileExists(atPath: directory.path("done/\(id).json")))
        }
        dispatcher.stopIntake()
        watcher.stop()
        await running.value
        await watching.value
    }
}
