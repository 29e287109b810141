import Foundation
import AWSCore
import Logging
import JSON
import SQS
import TestSupport
import Synchronization
import Testing

@testable import Delegate

/// A task message this delegate is not selected for is put back for the others: after a random
/// part of a second (so that its own next receive is not timed to take it right back), visible
/// again 1-3 s later, and never run, answered or deleted here.
@Suite struct SQSReleaseTests {
    /// A poller on `endpoint`'s queue `tasks`, logging to `logger`, handles one task (of id `id`)
    /// only gpu delegates may run (this one has no tags); its intake, the sleeper it waited
    /// with, and the queue.
    static func handleATaskForOthers(
        _ endpoint: SQSScriptedEndpoint, id: String = "t-gpu", messageID: String = "m-1", logger: Logger = Logger(label: "test"),
        body: String? = nil, slot: HeldSlot? = nil, prepare: (SQSIntake, RecordingSleeper) -> Void = { _, _ in }
    ) async throws -> (SQSIntake, RecordingSleeper, SQSQueueURL) {
        let (intake, http, sleeper) = try endpoint.intake()
        defer { http.shutdown() }
        prepare(intake, sleeper)
        let queue = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: logger)
        let task = JSONValue.object([
            "id": .string(id), "operation": "getSecretValue", "params": ["name": "db"],
            "connector": [
                "id": "c", "region": "us-east-1", "delegateSelectors": ["gpu"], "credentials": ["type": "instanceRole"],
            ],
        ]).jsonText
        await poller.handle(
            SQSMessage(messageId: messageID, receiptHandle: "rh-1", body: body ?? task), lease: 30, slot: slot)
        return (intake, sleeper, queue)
    }

    /// A poller on `endpoint`'s queue `tasks` (with `result_queue_url` its queue `results`)
    /// handles one message of `body`; its intake and the queue.
    static func handle(
        _ body: String, on endpoint: SQSScriptedEndpoint, maxMessageBytes: Int = SQSMessage.classicSizeLimit
    ) async throws -> (SQSIntake, SQSQueueURL) {
        let queue = try endpoint.queue("tasks")
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [queue.url], region: "us-east-1", endpoint: endpoint.server.baseURL, waitSeconds: 1,
            visibilitySeconds: 5, resultQueueURL: try endpoint.queue("results").url, maxMessageBytes: maxMessageBytes)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(section: section, sleeper: RecordingSleeper(), logger: quiet)
        defer { http.shutdown() }
        await SQSQueuePoller(queue: queue, intake: intake, logger: quiet)
            .handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30)
        return (intake, queue)
    }

    @Test func aTaskForOtherDelegatesIsReleasedAfterARandomPause() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, sleeper, queue) = try await Self.handleATaskForOthers(endpoint)

        // random() is 0.5: a pause of 500 ms, then visible again after 1 + Int(0.5 * 3) = 2 s.
        #expect(sleeper.delays.withLock { $0 } == [.milliseconds(500)])
        #expect(endpoint.actions == ["ChangeMessageVisibility"])
        let release = try #require(endpoint.bodies(of: "ChangeMessageVisibility").first)
        #expect(release.contains(#""VisibilityTimeout":2"#), "\(release)")
        #expect(release.contains(#""ReceiptHandle":"rh-1""#))
        #expect(intake.status.snapshot[queue.url]?.released == 1)
    }

    /// At a stop such a message is made visible again at once (this delegate receives no more),
    /// its pause cut short (here a sleep of two minutes), not 1-3 s later.
    @Test(.timeLimit(.minutes(2))) func aTaskForOtherDelegatesIsReleasedAtOnceAtAStop() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let queue = try endpoint.queue("tasks")
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [queue.url], region: "us-east-1", endpoint: endpoint.server.baseURL, waitSeconds: 1,
            visibilitySeconds: 5)
        let sleeper = RecordingSleeper(pause: .seconds(120))
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(section: section, sleeper: sleeper, logger: quiet)
        defer { http.shutdown() }
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: quiet)
        let body = JSONValue.object([
            "id": "t-gpu", "operation": "getSecretValue", "params": ["name": "db"],
            "connector": [
                "id": "c", "region": "us-east-1", "delegateSelectors": ["gpu"], "credentials": ["type": "instanceRole"],
            ],
        ]).jsonText
        let handling = Task { await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30) }
        #expect(await eventually { !sleeper.delays.withLock { $0 }.isEmpty }, "in its pause")
        let stoppedAt = ContinuousClock.now
        intake.dispatcher.stopIntake()
        await handling.value
        #expect(ContinuousClock.now - stoppedAt < .seconds(60), "the pause ended with the stop")
        let release = try #require(endpoint.bodies(of: "ChangeMessageVisibility").first)
        #expect(release.contains(#""VisibilityTimeout":0"#), "\(release)")
    }

    /// A task for other delegates handled holding `slot`, its first release refused by SQS, with
    /// `waitingWithoutSlots` such retries already waiting without theirs: the intake, the endpoint
    /// and, for each pause the handling made, whether the slot was still held then.
    static func releaseRefusedOnce(
        slot: HeldSlot, waitingWithoutSlots: (SQSIntake) -> Int = { _ in 0 }
    ) async throws -> (intake: SQSIntake, endpoint: SQSScriptedEndpoint, heldAtPause: [Bool]) {
        let endpoint = try SQSScriptedEndpoint(failedVisibilityChanges: 1)
        defer { endpoint.server.stop() }
        let heldAtPause = Mutex<[Bool]>([])
        let (intake, _, _) = try await handleATaskForOthers(endpoint, slot: slot) { intake, sleeper in
            for _ in 0..<waitingWithoutSlots(intake) { intake.slotlessHandBacks.enter() }
            sleeper.onSleep.withLock { $0 = { _ in heldAtPause.withLock { $0.append(!slot.isReleased) } } }
        }
        return (intake, endpoint, heldAtPause.withLock { $0 })
    }

    /// The slot such a message holds paces the receives through its pause and first release, and
    /// goes back before the retries of a release SQS refused: a release SQS keeps refusing (no
    /// permission, 6 s of retries) must not keep this delegate's own tasks waiting for slots.
    @Test func aTaskForOtherDelegatesGivesItsSlotBackBeforeItsReleaseIsRetried() async throws {
        let givenBack = Atomic<Int>(0)
        let slot = HeldSlot { givenBack.add(1, ordering: .relaxed) }
        let (intake, endpoint, heldAtPause) = try await Self.releaseRefusedOnce(slot: slot)
        #expect(heldAtPause == [true, false], "held at the random pause, not at the retry's")
        #expect(endpoint.actions == ["ChangeMessageVisibility", "ChangeMessageVisibility"])
        slot.release()  // the poller's own, once the message is handled: nothing more given back
        #expect(givenBack.load(ordering: .relaxed) == 1)
        #expect(intake.slotlessHandBacks.current == 0, "counted while it waited without its slot only")
    }

    /// But no more than `concurrency` such retries wait without their slots: each holds its
    /// message (up to 1 MiB), and the slot each gave up received another at once, so releases
    /// refused to all of them piled other delegates' messages up in memory at the pace of the
    /// receives. Past the bound the retry keeps its slot, and the receives slow down to it.
    @Test func noMoreThanConcurrencyRetriesOfReleasesWaitWithoutTheirSlots() async throws {
        let givenBack = Atomic<Int>(0)
        let slot = HeldSlot { givenBack.add(1, ordering: .relaxed) }
        // As many as there are slots wait already.
        let (intake, endpoint, heldAtPause) = try await Self.releaseRefusedOnce(
            slot: slot, waitingWithoutSlots: { $0.dispatcher.concurrency })
        #expect(heldAtPause == [true, true], "held at the retry's pause too")
        #expect(endpoint.actions == ["ChangeMessageVisibility", "ChangeMessageVisibility"])
        #expect(givenBack.load(ordering: .relaxed) == 0, "the slot stayed with the message")
        #expect(intake.slotlessHandBacks.current == intake.dispatcher.concurrency)
    }

    /// A task that gives a key twice is rejected by every delegate, but answered by the pool its
    /// (first) selectors name, whose result queue its producer reads: released by another pool's
    /// delegate (which would answer it on its own result queue, or delete it), rejected by one
    /// of its own. (The spool, whose done/ every delegate shares, takes it up wherever it is seen.)
    @Test(arguments: [["gpu"], []])
    func aTaskGivingAKeyTwiceIsAnsweredByThePoolItsSelectorsName(selectors: [String]) async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let listed = selectors.map { "\"\($0)\"" }.joined(separator: ",")
        // A body with a key twice has no readable replyTo: its rejection goes to result_queue_url.
        let body = """
            {"id":"t-twice","operation":"getSecretValue","operation":"deleteSecret","params":{"name":"db"},\
            "connector":{"id":"c","region":"us-east-1","delegateSelectors":[\(listed)],"credentials":{"type":"instanceRole"}}}
            """
        let (intake, queue) = try await Self.handle(body, on: endpoint)

        if selectors.isEmpty {
            #expect(intake.status.snapshot[queue.url]?.released ?? 0 == 0, "\(endpoint.actions)")
            let sent = try #require(endpoint.bodies(of: "SendMessage").first, "\(endpoint.actions)")
            #expect(sent.contains("InvalidTask") && sent.contains("t-twice"), "\(sent)")
            #expect(endpoint.actions.contains { $0.hasPrefix("DeleteMessage") }, "\(endpoint.actions)")
        } else {
            #expect(intake.status.snapshot[queue.url]?.released == 1, "\(endpoint.actions)")
            #expect(endpoint.actions == ["ChangeMessageVisibility"], "\(endpoint.actions)")
        }
    }

    /// A task over SQS's 256 KiB (SQS itself takes 1 MiB now) is refused by every delegate, but,
    /// as one giving a key twice, only by the pool its selectors name, and its rejection goes to
    /// its `replyTo`, where its producer looks: another pool's delegate releases it.
    @Test(arguments: [["gpu"], []])
    func aTaskOverTheSizeLimitIsAnsweredByItsPoolOnItsReplyTo(selectors: [String]) async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let replies = try endpoint.queue("producer-replies")
        let body = JSONValue.object([
            "id": "t-large", "operation": "putSecretValue",
            "params": ["name": "db", "secretString": .string(String(repeating: "v", count: 300 * 1024))],
            "replyTo": .string(replies.url),
            "connector": [
                "id": "c", "region": "us-east-1", "delegateSelectors": .array(selectors.map { .string($0) }),
                "credentials": ["type": "instanceRole"],
            ],
        ]).jsonText
        #expect(body.utf8.count > SQSMessage.classicSizeLimit)
        let (intake, queue) = try await Self.handle(body, on: endpoint)

        if selectors.isEmpty {
            let sent = try #require(endpoint.bodies(of: "SendMessage").first, "\(endpoint.actions)")
            #expect(sent.contains("InvalidTask") && sent.contains("t-large") && sent.contains("256 KiB"), "\(sent.prefix(400))")
            let sentTo = try JSONSerialization.jsonObject(with: Data(sent.utf8)) as? [String: Any]
            #expect(sentTo?["QueueUrl"] as? String == replies.url, "\(sent.prefix(300))")
            #expect(endpoint.actions.contains { $0.hasPrefix("DeleteMessage") }, "\(endpoint.actions)")
        } else {
            #expect(intake.status.snapshot[queue.url]?.released == 1, "\(endpoint.actions)")
            #expect(endpoint.actions == ["ChangeMessageVisibility"], "\(endpoint.actions)")
        }
    }

    /// `[sqs] max_message_bytes` raised (queues that carry SQS's 1 MiB): a 300 KiB task message
    /// is taken (here on to the decoder, which refuses its operation), not refused for its size;
    /// one over the raised limit is, naming the setting.
    @Test(arguments: [(1 << 20, false), (300 * 1024, true)])
    func aRaisedMessageLimitTakesLargerTasks(limit: Int, refusedForSize: Bool) async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        // Whitespace between tokens pads the task to over 300 KiB without a field of that size.
        let padding = String(repeating: " ", count: 300 * 1024)
        let body = """
            {"id":"t-large",\(padding)"operation":"noSuchOperation","params":{"name":"db"},\
            "connector":{"id":"c","region":"us-east-1","delegateSelectors":[],"credentials":{"type":"instanceRole"}}}
            """
        _ = try await Self.handle(body, on: endpoint, maxMessageBytes: limit)
        let sent = try #require(endpoint.bodies(of: "SendMessage").first, "\(endpoint.actions)")
        #expect(sent.contains("InvalidTask") && sent.contains("t-large"), "\(sent.prefix(400))")
        #expect(sent.contains("max_message_bytes") == refusedForSize, "\(sent.prefix(600))")
        #expect(sent.contains("noSuchOperation") != refusedForSize, "\(sent.prefix(600))")
    }

    /// A task over the limit that gives its id twice is answered under no id: the first of two
    /// may be another task's (the decoder refuses such an id as context, and so does this).
    @Test func aTaskOverTheSizeLimitGivingItsIdTwiceIsAnsweredUnderNoId() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let padding = String(repeating: "v", count: 300 * 1024)
        let body = """
            {"id":"victim","id":"mine","operation":"getSecretValue","params":{"name":"db","pad":"\(padding)"},\
            "connector":{"id":"c","region":"us-east-1","delegateSelectors":[],"credentials":{"type":"instanceRole"}}}
            """
        _ = try await Self.handle(body, on: endpoint)
        let sent = try #require(endpoint.bodies(of: "SendMessage").first, "\(endpoint.actions)")
        #expect(sent.contains("InvalidTask") && sent.contains("256 KiB"), "\(sent.prefix(400))")
        #expect(!sent.contains("victim"), "\(sent.prefix(600))")
    }

    /// A release SQS did not take is tried again, 2 then 4 s later: else the message would stay
    /// hidden from the delegates that may run it for its whole lease. Three failures, and it is
    /// left (its lease ends it).
    @Test(arguments: [
        (failures: 1, calls: 2, pauses: [500, 2000], released: 1),
        (failures: 5, calls: 3, pauses: [500, 2000, 4000], released: 0),
    ])
    func aReleaseSQSRefusedIsTriedAgain(failures: Int, calls: Int, pauses: [Int], released: Int) async throws {
        let endpoint = try SQSScriptedEndpoint(failedVisibilityChanges: failures)
        defer { endpoint.server.stop() }
        let (intake, sleeper, queue) = try await Self.handleATaskForOthers(endpoint)

        #expect(endpoint.actions == Array(repeating: "ChangeMessageVisibility", count: calls))
        #expect(sleeper.delays.withLock { $0 } == pauses.map { .milliseconds($0) })
        #expect(intake.status.snapshot[queue.url]?.released == released)
    }

    /// A stop during the pause before a retry ends the tries, but not before one last release,
    /// visible at once: the stop's own release covers only messages whose tasks run, and this one
    /// would stay hidden from the delegates that may run it for the rest of its lease.
    @Test func aStopDuringTheRetryPauseReleasesAtOnce() async throws {
        let endpoint = try SQSScriptedEndpoint(failedVisibilityChanges: 1)
        defer { endpoint.server.stop() }
        // The stop comes during the second sleep: the pause before the first retry.
        let (intake, _, queue) = try await Self.handleATaskForOthers(endpoint) { intake, sleeper in
            let dispatcher = intake.dispatcher
            sleeper.onSleep.withLock { $0 = { number in if number == 2 { dispatcher.stopIntake() } } }
        }

        #expect(endpoint.actions == ["ChangeMessageVisibility", "ChangeMessageVisibility"])
        let last = try #require(endpoint.bodies(of: "ChangeMessageVisibility").last)
        #expect(last.contains(#""VisibilityTimeout":0"#), "\(last)")
        #expect(intake.status.snapshot[queue.url]?.released == 1)
    }
}

/// No task starts once the delegate is stopping: a message taken up (read, admitted) as the stop
/// began is made visible again at once, not run, not answered, and before its lease heartbeat
/// starts (an extension landing after the release would hide it again for a whole lease).
@Suite struct SQSStartAtStopTests {
    @Test func aTaskAdmittedAsTheStopBeganIsReleasedUnrun() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, http, sleeper) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: Logger(label: "test"))
        let body = #"{"id":"t-stop","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getSecretValue","params":{"name":"db"},"replyTo":null}"#
        let task = try intake.dispatcher.connectors.admit(
            TaskDocument(Data(body.utf8)), defaultID: nil, by: .sqsQueue(queue.url))

        intake.dispatcher.stopIntake()
        await poller.start(
            task, message: SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30,
            receivedAt: intake.dispatcher.now, logger: Logger(label: "test"))

        // The heartbeat never began: its first act is a sleep on the intake's sleeper.
        #expect(sleeper.delays.withLock { $0 }.isEmpty)
        #expect(endpoint.actions == ["ChangeMessageVisibility"])
        let release = try #require(endpoint.bodies(of: "ChangeMessageVisibility").first)
        #expect(release.contains(#""VisibilityTimeout":0"#), "\(release)")
        let counts = intake.dispatcher.status.snapshot
        #expect(counts.succeeded + counts.failed == 0)
    }
}

/// A reload while a task runs decides where its result goes: the result queue configured now, and
/// a `replyTo` only if it is still one of this delegate's endpoints (else the result is withheld).
@Suite struct SQSReplyAfterReloadTests {
    enum Reload: CaseIterable { case resultQueueMoved, replyToNoLongerAnEndpoint, resultQueueMadeATaskQueue }

    @Test(.timeLimit(.minutes(1)), arguments: Reload.allCases)
    func theResultGoesWhereTheSettingsInForceAtItsEndSay(_ reload: Reload) async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        // Another origin, for the result queue a reload names when replyTo's origin is dropped.
        let elsewhere = try SQSScriptedEndpoint()
        defer { elsewhere.server.stop() }
        let base = endpoint.server.baseURL
        let first = "\(base)/123456789012/results-1"
        let second = reload == .resultQueueMoved ? "\(base)/123456789012/results-2" : "\(elsewhere.server.baseURL)/123456789012/results-2"
        let replies = "\(base)/123456789012/replies"
        let settings = SQSSettingsHolder(
            DelegateConfiguration.SQSSection(
                queueURLs: ["\(base)/123456789012/tasks"], region: "us-east-1", endpoint: base, waitSeconds: 1,
                visibilitySeconds: 30, resultQueueURL: first))
        let secretsManager = ScriptedHTTPClient()
        secretsManager.always(.any, .hold(ScriptedExecutorFixture.secret(value: "reload-canary-value")))
        let dispatcher = ScriptedExecutorFixture.dispatcher(http: secretsManager, accessKeyID: "AKIDRELOADREPLY")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: settings.current, sleeper: RecordingSleeper(), settings: { settings.current }, dispatcher: dispatcher,
            logger: quiet)
        defer { http.shutdown() }
        let queue = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: quiet)
        let replyTo = reload == .replyToNoLongerAnEndpoint ? #","replyTo":"\#(replies)""# : ""
        let body = #"{"id":"t-reload","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getSecretValue","params":{"name":"db"}\#(replyTo)}"#

        let running = Task { await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30) }
        #expect(await eventually { secretsManager.holding == 1 })
        settings.update { section in
            switch reload {
            case .resultQueueMoved: section.resultQueueURL = second
            // Nothing of replyTo's origin left configured (a result queue there would admit it).
            case .replyToNoLongerAnEndpoint: (section.endpoint, section.queueURLs, section.resultQueueURL) = ("", [], second)
            // The result queue of its start is a task queue now, and none is configured.
            case .resultQueueMadeATaskQueue: (section.queueURLs, section.resultQueueURL) = (section.queueURLs + [first], "")
            }
        }
        secretsManager.releaseHeld()
        await running.value

        let calls = endpoint.server.recordedRequests.map { request in
            let json = try? JSONSerialization.jsonObject(with: Data(request.bodyText.utf8)) as? [String: Any]
            return (action: request.headers["X-Amz-Target"] ?? "", queue: json?["QueueUrl"] as? String, body: request.bodyText)
        }
        let sends = calls.filter { $0.action.contains("SendMessage") }
        switch reload {
        case .resultQueueMoved:
            #expect(!sends.isEmpty && sends.allSatisfy { $0.queue == second }, "\(sends.map(\.queue))")
            #expect(sends.contains { $0.body.contains("reload-canary-value") })
        case .replyToNoLongerAnEndpoint:
            // Nothing to replyTo's origin; to the result queue, the result withheld: a failure
            // without the value.
            #expect(sends.isEmpty, "\(sends.map(\.queue))")
            let notices = elsewhere.server.recordedRequests.filter { ($0.headers["X-Amz-Target"] ?? "").contains("SendMessage") }
                .map(\.bodyText)
            #expect(!notices.isEmpty)
            #expect(notices.allSatisfy { !$0.contains("reload-canary-value") }, "\(notices)")
            #expect(notices.contains { $0.contains("failed") && $0.contains("InvalidTask") && $0.contains("withheld") }, "\(notices)")
        case .resultQueueMadeATaskQueue:
            #expect(sends.isEmpty, "nothing to the queue that is a task queue now: \(sends.map(\.queue))")
        }
        // Counted as the producer gets it.
        let counts = dispatcher.status.snapshot
        if reload != .resultQueueMadeATaskQueue {
            #expect(reload == .resultQueueMoved ? counts.succeeded == 1 : counts.failed == 1 && counts.succeeded == 0, "\(counts)")
        }
    }
}

/// A delete cut off by the stop's time running out (its handler cancelled) is no fault of the
/// queue's: no queue-failing, no DeleteMessage error in `status`.
@Suite struct SQSDeleteAtStopTests {
    @Test(.timeLimit(.minutes(1))) func aDeleteCutOffByTheStopIsNoQueueFailure() async throws {
        let endpoint = try SQSScriptedEndpoint(deleteDelay: .seconds(30))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: Logger(label: "test"))
        // Not JSON, and no result queue: rejected with nowhere to answer, so deleted.
        let handling = Task { await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "not json"), lease: 30) }
        #expect(await eventually { endpoint.actions.contains { $0.hasPrefix("DeleteMessage") } })
        handling.cancel()
        await handling.value
        #expect(intake.status.snapshot[queue.url]?.errors["DeleteMessage"] == nil)
    }
}

/// The stop's release runs on the intake's own logger, which names no queue: its queue events
/// name theirs themselves, as the contract promises (`QUEUE_URL` on `queue-failing`).
@Suite struct SQSStopReleaseEventTests {
    @Test func aFailedStopTimeReleaseNamesItsQueue() async throws {
        let endpoint = try SQSScriptedEndpoint(failedVisibilityChanges: 1)
        defer { endpoint.server.stop() }
        let queue = try endpoint.queue("tasks")
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [queue.url], region: "us-east-1", endpoint: endpoint.server.baseURL, waitSeconds: 1,
            visibilitySeconds: 5)
        let recorder = LogRecorder()
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(pause: .milliseconds(1)), logger: recorder.logger())
        defer { http.shutdown() }
        let key = AnsweredMessages.Key(queueURL: queue.url, messageID: "m-1")
        #expect(await intake.release([(key: key, receiptHandle: "rh-1")], within: .seconds(30)) == 0)
        let failing = recorder.records.filter { $0.contains("event=queue-failing") }
        #expect(failing.count == 1, "\(recorder.records)")
        #expect(failing.first?.contains("queue_url=\(queue.url)") == true, "\(failing)")
    }
}

/// A task left for another delegate is logged with its id only when the id is valid: the
/// producer's text (up to the body's 256 KiB, line breaks included) is no `TASK_ID`.
@Suite struct SQSForeignTaskLogTests {
    @Test func aForeignTasksInvalidIDIsNotLogged() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let recorder = LogRecorder()
        _ = try await SQSReleaseTests.handleATaskForOthers(
            endpoint, id: "forged\nTASK_ID=victim" + String(repeating: "x", count: 10_000), logger: recorder.logger())
        let left = recorder.records.filter { $0.contains("queue task left for another delegate") }
        #expect(left.count == 1, "\(recorder.records)")
        #expect(left.allSatisfy { $0.contains("task_id=-") && !$0.contains("forged") }, "\(left)")
    }

    /// A message id from the endpoint is logged cut to 128 bytes: SQS's are UUIDs, and an
    /// endpoint could send any text up to its answer's size, also as one character of a letter
    /// and 100,000 combining marks.
    @Test(arguments: [String(repeating: "x", count: 10_000), "x" + String(repeating: "\u{301}", count: 100_000)])
    func aMessagesIDIsLoggedBounded(tail: String) async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let recorder = LogRecorder()
        _ = try await SQSReleaseTests.handleATaskForOthers(endpoint, messageID: "m-" + tail, logger: recorder.logger())
        let left = try #require(recorder.records.first { $0.contains("queue task left for another delegate") })
        // By code units: "x" and its marks are one character, which `contains` would not split.
        #expect(left.range(of: "sqs_message_id=m-x", options: .literal) != nil)
        #expect(left.utf8.count < 1_000)
    }
}

/// A queue's error state in `status` and its `queue-failing` / `queue-recovered` events.
@Suite struct SQSQueueErrorStateTests {
    /// An operation that failed for want of the endpoint (a blip that failed one task's
    /// releases) is no longer shown once the queue answers another call, with its recovery
    /// logged; one AWS refused (a policy without the permission) is shown until it succeeds.
    @Test func anUnreachableEndpointsErrorEndsWhenTheQueueAnswersAnotherCall() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let queue = try endpoint.queue("tasks")
        let recorder = LogRecorder()
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: DelegateConfiguration.SQSSection(
                queueURLs: [queue.url], region: "us-east-1", endpoint: endpoint.server.baseURL),
            sleeper: RecordingSleeper(), logger: recorder.logger())
        defer { http.shutdown() }
        let logger = recorder.logger()
        func errors() -> [String: String] { intake.status.snapshot[queue.url]?.errors ?? [:] }
        let unreachable = AWSError(kind: .transport, code: .endpointUnreachable, message: "connection refused")
        let refused = AWSError(kind: .service, code: .accessDeniedException, message: "not allowed", httpStatus: 400)
        var noCredentials = AWSError(kind: .service, code: .accessDenied, message: "STS refused", httpStatus: 403)
        noCredentials.whileObtainingCredentials = true

        intake.record(unreachable, of: "ChangeMessageVisibility", queue: queue, logger: logger)
        #expect(errors()["ChangeMessageVisibility"] != nil)
        // No answer from the queue's endpoint (credentials refused before any call): still shown.
        intake.record(noCredentials, of: "ReceiveMessage", queue: queue, logger: logger)
        #expect(errors()["ChangeMessageVisibility"] != nil)
        intake.record(nil, of: "ReceiveMessage", queue: queue, logger: logger)
        #expect(errors().isEmpty, "\(errors())")
        #expect(
            recorder.records.contains {
                $0.contains("event=queue-recovered") && $0.contains("operation=ChangeMessageVisibility")
            }, "\(recorder.records)")

        // A result that cannot be sent goes to the result queue, which may be on another
        // endpoint: the task queue answering ends no such error, nor does a sent result end
        // the task queue's.
        intake.record(unreachable, of: "SendMessage", queue: queue, logger: logger)
        intake.record(nil, of: "ReceiveMessage", queue: queue, logger: logger)
        #expect(errors()["SendMessage"] != nil, "\(errors())")
        intake.record(unreachable, of: "DeleteMessage", queue: queue, logger: logger)
        intake.record(nil, of: "SendMessage", queue: queue, logger: logger)
        #expect(errors().keys.sorted() == ["DeleteMessage"], "\(errors())")
        intake.record(nil, of: "ReceiveMessage", queue: queue, logger: logger)
        #expect(errors().isEmpty, "\(errors())")

        intake.record(refused, of: "ChangeMessageVisibility", queue: queue, logger: logger)
        intake.record(nil, of: "ReceiveMessage", queue: queue, logger: logger)
        #expect(errors()["ChangeMessageVisibility"]?.contains("AccessDeniedException") == true, "\(errors())")
        intake.record(nil, of: "ChangeMessageVisibility", queue: queue, logger: logger)
        #expect(errors().isEmpty)
    }
}
