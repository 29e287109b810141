import AWSCore
import Dispatch
import Foundation
import Logging
import SQS
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A `deleteSecret` task recovered at a start (its earlier run claimed it and gave no result: a
/// crash, or a stop that cut its call off) may find the secret marked deleted by that run: its
/// first attempt's refusal is confirmed with DescribeSecret, and a deletion made since the claim
/// is the task's own, a success. A task claimed for the first time gets the refusal as it is.
@Suite struct SpoolRecoveredDeleteTests {
    static let task = #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"deleteSecret","params":{"name":"app"}}"#

    /// Secrets Manager refusing the delete because `app` is marked deleted, at `markedDeletedAt`
    /// as DescribeSecret says.
    static func secretsManager(markedDeletedAt: Date) -> ScriptedHTTPClient {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"),
            .awsError("InvalidRequestException", message: "You can't perform this operation on the secret because it was marked for deletion."))
        http.script(
            .target("secretsmanager.DescribeSecret"),
            .json([
                "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:app-AbCd", "Name": "app",
                "DeletedDate": markedDeletedAt.timeIntervalSince1970,
            ]))
        return http
    }

    /// A spool in `directory` whose fsync of the claims is `claimsFsync`, with `task` claimed.
    static func claimedTask(
        in directory: TemporaryDirectory, task: String = task,
        claimsFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void
    ) throws -> (Spool, ClaimedTask) {
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(
            directory: directory.url.path, delegateName: "d", logger: quiet, claimsFsync: claimsFsync)
        try spool.prepare()
        try SpoolProducer(directory: directory.url.path).enqueue(id: "t-1", data: Data(task.utf8))
        return (spool, try #require(try spool.claim("t-1.json")))
    }

    /// Runs the task claimed in a fresh spool (recovered at a start or not), its file written two
    /// hours ago (its mtime: the claim, now, is what counts), by a delegate whose clock is an hour
    /// ahead (so that the call's own span, an hour from now, covers no deletion near the claim),
    /// against a Secrets Manager that refuses the delete as marked deleted `deletedAfterClaim`
    /// seconds after the claim; its result.
    func run(recovered: Bool, deletedAfterClaim: TimeInterval = 1) async throws -> [String: Any] {
        let directory = try TemporaryDirectory(prefix: "spool-recovered-delete")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: Data(Self.task.utf8))
        let twoHoursAgo = Date().addingTimeInterval(-7200)
        try FileManager.default.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: directory.path("new/t-1.json"))
        let claimedAt = Date()
        var claimed = try #require(try spool.claim("t-1.json"))
        if recovered {
            let found = try spool.recoverClaimed()
            claimed = try #require(found.first)
            try #require(claimed.recovered)
        }
        let http = Self.secretsManager(markedDeletedAt: claimedAt.addingTimeInterval(deletedAfterClaim))
        let clock = ManualClock(Date().addingTimeInterval(3600))
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, delegateName: "d", accessKeyID: "AKIDRECOVEREDDELETE", clock: clock)
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(claimed, receivedAt: clock.now())
        let data = try #require(FileManager.default.contents(atPath: directory.path("done/t-1.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func aRecoveredDeleteFindingTheSecretMarkedSinceItsClaimSucceeds() async throws {
        let result = try await run(recovered: true)
        #expect(result["status"] as? String == "succeeded", "\(result)")
        let deletion = try #require((result["result"] as? [String: Any])?["deletionDate"] as? String)
        #expect(!deletion.isEmpty)
    }

    /// Marked deleted before the claim (though after the file was written): someone else's.
    @Test func aRecoveredDeleteFindingTheSecretMarkedBeforeItsClaimFails() async throws {
        let result = try await run(recovered: true, deletedAfterClaim: -3600)
        #expect(result["status"] as? String == "failed", "\(result)")
        #expect((result["error"] as? [String: Any])?["code"] as? String == "InvalidRequestException", "\(result)")
    }

    @Test func aFirstRunsRefusalIsTheRefusalItIs() async throws {
        let result = try await run(recovered: false)
        #expect(result["status"] as? String == "failed", "\(result)")
        #expect((result["error"] as? [String: Any])?["code"] as? String == "InvalidRequestException", "\(result)")
    }

    /// A deletion's claim is synced before its call (after a power loss it is found claimed, a run
    /// that may have deleted); a read's is not (a claim costs no fsync).
    @Test(arguments: [true, false]) func aDeletesClaimIsDurableBeforeItsCall(deletes: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-delete-claim-sync")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let http = Self.secretsManager(markedDeletedAt: Date())
        http.script(.target("secretsmanager.GetSecretValue"), .json(["Name": "app", "SecretString": "v"]))
        // What the fsync of the claims saw: how many calls had been sent by then.
        let syncs = Mutex<[(path: String, callsSent: Int)]>([])
        let task = deletes ? Self.task : Self.task.replacingOccurrences(of: "deleteSecret", with: "getSecretValue")
        let (spool, claimed) = try Self.claimedTask(in: directory, task: task) { path throws(TaskQueueError) in
            syncs.withLock { $0.append((path, http.requests.count)) }
            try Spool.fsyncDirectory(path)
        }
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, delegateName: "d", accessKeyID: "AKIDDELETECLAIMSYNC", clock: ManualClock(Date()))
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(claimed, receivedAt: Date())
        #expect(FileManager.default.fileExists(atPath: directory.path("done/t-1.json")))
        #expect(!http.requests.isEmpty, "the task made its call")
        let seen = syncs.withLock { $0 }
        if deletes {
            #expect(seen.count == 1 && seen.first?.path == directory.path("cur/d"), "\(seen)")
            #expect(seen.first?.callsSent == 0, "synced before the call")
        } else {
            #expect(seen.isEmpty, "\(seen)")
        }
    }

    /// A deletion's claim sync that hangs (a frozen file system) gives the task's slot back until
    /// it returns: another intake's task gets it meanwhile.
    @Test(.timeLimit(.minutes(1))) func aDeletesClaimSyncThatHangsGivesItsSlotBack() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-delete-claim-hang")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let http = Self.secretsManager(markedDeletedAt: Date())
        let syncing = Atomic<Bool>(false)
        let thaw = DispatchSemaphore(value: 0)
        let (spool, claimed) = try Self.claimedTask(in: directory) { path throws(TaskQueueError) in
            syncing.store(true, ordering: .releasing)
            _ = thaw.wait(timeout: .now() + 20)
            try Spool.fsyncDirectory(path)
        }
        // One slot, the task's.
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, delegateName: "d", accessKeyID: "AKIDDELETECLAIMHANG", clock: ManualClock(Date()))
        var intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        intake.slotGivenBackAfter = .milliseconds(300)
        let watching = Task { [intake] in await intake.watchFileCalls() }
        #expect(await dispatcher.reserveSlot())
        let running = Task { [intake] in
            let slot = HeldSlot { dispatcher.releaseSlots() }
            await intake.runClaimed(claimed, receivedAt: Date(), slot: slot)
            slot.release()
        }
        #expect(await eventually(within: .seconds(20)) { syncing.load(ordering: .acquiring) }, "the sync began")
        let got = Mutex(false)
        let other = Task {
            let reserved = await dispatcher.reserveSlot()
            got.withLock { $0 = reserved }
        }
        let gotWhileHung = await eventually(within: .seconds(10)) { got.withLock { $0 } }
        thaw.signal()
        await other.value
        #expect(gotWhileHung, "no slot for another intake's task while the sync hung")
        dispatcher.releaseSlots()
        await running.value
        watching.cancel()
        await watching.value
        #expect(FileManager.default.fileExists(atPath: directory.path("done/t-1.json")))
        #expect(dispatcher.slotsInUse() == 0)
    }

    /// A stop that begins while a deletion's claim is synced starts nothing: the drain would not
    /// wait for a task not counted in flight, and its call would be cut off.
    @Test func aStopDuringADeletesClaimSyncStartsNothing() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-delete-claim-stop")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let http = Self.secretsManager(markedDeletedAt: Date())
        let stopping = Mutex<TaskDispatcher?>(nil)
        let (spool, claimed) = try Self.claimedTask(in: directory) { path throws(TaskQueueError) in
            stopping.withLock { $0?.stopIntake() }
            try Spool.fsyncDirectory(path)
        }
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, delegateName: "d", accessKeyID: "AKIDDELETECLAIMSTOP", clock: ManualClock(Date()))
        stopping.withLock { $0 = dispatcher }
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(claimed, receivedAt: Date())
        #expect(dispatcher.isStopping, "the stop began during the sync")
        #expect(http.requests.isEmpty, "nothing was sent")
        #expect(FileManager.default.fileExists(atPath: directory.path("cur/d/t-1.json")), "claimed for the next start")
        #expect(!FileManager.default.fileExists(atPath: directory.path("done/t-1.json")))
    }
}

/// The same through SQS: a message handed out before (`ApproximateReceiveCount` over 1) may have
/// run on a delegate that died or stopped; a deletion made since SQS first handed it out
/// (`ApproximateFirstReceiveTimestamp`) is the task's own.
@Suite struct SQSRedeliveredDeleteTests {
    func run(receiveCount: Int) async throws -> String {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        // The call runs at `now` (the delegate's clock, AWS's: no skew); the message was first
        // handed out 20 minutes before, and the secret marked deleted 15 minutes before: only
        // the first receive's time brings that into the task's span.
        let clock = ManualClock(Date().addingTimeInterval(3600))
        let now = clock.now()
        let secretsManager = SpoolRecoveredDeleteTests.secretsManager(markedDeletedAt: now.addingTimeInterval(-900))
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: secretsManager, accessKeyID: "AKIDREDELIVEREDDELETE", clock: clock)
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [try endpoint.queue("tasks").url], region: "us-east-1", endpoint: endpoint.server.baseURL,
            waitSeconds: 1, visibilitySeconds: 30, resultQueueURL: try endpoint.queue("results").url)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(), dispatcher: dispatcher, logger: quiet)
        defer { http.shutdown() }
        let firstReceived = Int64(now.addingTimeInterval(-1200).timeIntervalSince1970 * 1000)
        await SQSQueuePoller(queue: try endpoint.queue("tasks"), intake: intake, logger: quiet).handle(
            SQSMessage(
                messageId: "m-1", receiptHandle: "rh-1", body: SpoolRecoveredDeleteTests.task,
                attributes: ["ApproximateReceiveCount": "\(receiveCount)", "ApproximateFirstReceiveTimestamp": "\(firstReceived)"]),
            lease: 30)
        let sent = endpoint.bodies(of: "SendMessage") + endpoint.bodies(of: "SendMessageBatch")
        return try #require(sent.first, "\(endpoint.actions)")
    }

    @Test func aRedeliveredDeleteFindingTheSecretMarkedSinceItsFirstReceiveSucceeds() async throws {
        let sent = try await run(receiveCount: 2)
        #expect(sent.contains(#"\"status\":\"succeeded\""#) && sent.contains("deletionDate"), "\(sent)")
    }

    @Test func aFirstReceivesRefusalIsTheRefusalItIs() async throws {
        let sent = try await run(receiveCount: 1)
        #expect(sent.contains(#"\"status\":\"failed\""#) && sent.contains("InvalidRequestException"), "\(sent)")
    }
}
