import HTTP
import JSON
import Logging
import SQS
import TestSupport
import Testing

@testable import Delegate

/// A task message whose result this delegate sent, coming back because its delete did not take
/// effect, is deleted with its new receipt handle and not run or answered again.
@Suite struct SQSRedeliveryTests {
    /// An intake on `endpoint` and a poller of its queue `tasks`, both logging to a recorder (the
    /// intake's batches of results and deletes too), and a task body that is not valid (no
    /// connector, no operation): its InvalidTask rejection is the result.
    static func setUp(_ endpoint: SQSScriptedEndpoint) throws
        -> (SQSIntake, CurlHTTPClient, SQSQueueURL, LogRecorder, SQSQueuePoller, String)
    {
        let recorder = LogRecorder()
        let (intake, http, _) = try endpoint.intake(logger: recorder.logger())
        let queue = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: queue, intake: intake, logger: recorder.logger())
        let body = #"{"id":"t-bad","replyTo":"\#(try endpoint.queue("results").url)"}"#
        return (intake, http, queue, recorder, poller, body)
    }

    @Test func aMessageWhoseResultWasSentIsDeletedNotAnsweredAgain() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, http, queue, recorder, poller, body) = try Self.setUp(endpoint)
        defer { http.shutdown() }
        func sent() -> [String] { endpoint.bodies(of: "SendMessageBatch") + endpoint.bodies(of: "SendMessage") }

        await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30)
        #expect(endpoint.bodies(of: "SendMessage").count == 1)
        #expect(endpoint.bodies(of: "SendMessage").first?.contains("InvalidTask") == true)
        #expect(endpoint.bodies(of: "DeleteMessage").last?.contains(#""ReceiptHandle":"rh-1""#) == true)
        let sentBefore = sent()

        // The same message again, with a new receipt handle: deleted with that one, not answered.
        await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-2", body: body), lease: 30)
        #expect(sent() == sentBefore)
        #expect(endpoint.bodies(of: "DeleteMessage").last?.contains(#""ReceiptHandle":"rh-2""#) == true)
        let redelivered = recorder.records.filter { $0.contains("event=task-redelivered") }
        #expect(redelivered.count == 1)
        #expect(redelivered.first?.contains("sqs_message_id=m-1") == true)
        #expect(!recorder.allText.contains("rh-2"), "receipt handles are never logged")
        #expect(intake.status.snapshot[queue.url]?.redelivered == 1)
        #expect(
            intake.status.report[queue.url]?["redelivered"] == .integer(1),
            "status shows the count")
        #expect(intake.status.snapshot[queue.url]?.deleted == 1, "a message that came back counts as redelivered only")

        // Another message, and the same message id on another queue, are answered.
        await poller.handle(SQSMessage(messageId: "m-2", receiptHandle: "rh-3", body: body), lease: 30)
        let other = SQSQueuePoller(queue: try endpoint.queue("other"), intake: intake, logger: Logger(label: "test"))
        await other.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-4", body: body), lease: 30)
        #expect(endpoint.bodies(of: "SendMessage").count == 3)
        #expect(intake.status.snapshot[queue.url]?.redelivered == 1)
    }

    /// A message received again while it is being handled here (its lease lapsed) is not run a
    /// second time beside the first: the run under way answers it once and deletes it with the
    /// newest receipt handle, the only one that still deletes it on SQS.
    @Test func aMessageReceivedAgainWhileItRunsIsNotRunTwice() async throws {
        let endpoint = try SQSScriptedEndpoint(sendDelay: .milliseconds(1_500))
        defer { endpoint.server.stop() }
        let (intake, http, _, recorder, poller, body) = try Self.setUp(endpoint)
        defer { http.shutdown() }

        async let first: Void = poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30)
        #expect(await eventually { !endpoint.bodies(of: "SendMessage").isEmpty })
        // The result is on its way (the endpoint holds it 1.5 s) when the message comes back.
        await poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-2", body: body), lease: 30)
        #expect(endpoint.bodies(of: "SendMessage").count == 1)
        #expect(recorder.records.contains { $0.contains("came back while it runs here") })
        await first
        #expect(endpoint.bodies(of: "SendMessage").count == 1, "answered once")
        // Deleted with the newest handle, the only one SQS honours (rh-1 no longer deletes it).
        let deletes = endpoint.bodies(of: "DeleteMessage") + endpoint.bodies(of: "DeleteMessageBatch")
        #expect(!deletes.isEmpty && deletes.allSatisfy { $0.contains("rh-2") && !$0.contains("rh-1") }, "\(deletes)")
        #expect(intake.running.newestHandle(.init(queueURL: try endpoint.queue("tasks").url, messageID: "m-1")) == nil)
        #expect(!recorder.allText.contains("rh-2"), "receipt handles are never logged")
    }

    /// A message received again just as its first run finishes (that run remembers its answer,
    /// deletes with the newest handle it knows and ends, all between this receive's two looks) is
    /// not run again: either the first run knew of this receipt's handle and deleted with it, or
    /// this receive finds the message answered and deletes it itself.
    @Test func aMessageComingBackAsItsRunEndsIsNotRunAgain() throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, http, queue, _, _, _) = try Self.setUp(endpoint)
        defer { http.shutdown() }
        let key = AnsweredMessages.Key(queueURL: queue.url, messageID: "m-1")
        let now = ContinuousClock.now
        #expect(intake.admit(key, receiptHandle: "rh-1", now: now, answeredKeptFor: .seconds(120)) == .fresh)

        var firstRunDeletedWith: String?
        let finishFirstRun = {
            // As reply(...) and handle(...) do: remember the answer, delete, end.
            intake.answered.remember(key, now: now, keptFor: .seconds(120))
            firstRunDeletedWith = intake.running.newestHandle(key) ?? "rh-1"
            intake.running.end(key)
        }
        var finishedBetweenLooks = false
        let second = intake.admit(key, receiptHandle: "rh-2", now: now, answeredKeptFor: .seconds(120)) {
            finishFirstRun()
            finishedBetweenLooks = true
        }
        #expect(finishedBetweenLooks, "the first run ended between the receive's two looks")
        #expect(second != .fresh, "run a second time")
        #expect(second == .answered || firstRunDeletedWith == "rh-2", "\(second), deleted with \(firstRunDeletedWith ?? "-")")
        #expect(intake.running.newestHandle(key) == nil)
        // Received again after all that, it is answered (and deleted), not run.
        #expect(intake.admit(key, receiptHandle: "rh-3", now: now, answeredKeptFor: .seconds(120)) == .answered)
        #expect(intake.running.newestHandle(key) == nil)
    }

    /// One queue spelt two ways (a reload listed it under another spelling, and the old loop
    /// still finishes; here its Amazon SQS host and the dual-stack one, both reached through the
    /// endpoint override): a message is known by its queue, not by the spelling it came through.
    /// Received again through the other while it runs, it is not run twice; after its answer, it
    /// is deleted, not run again.
    @Test func aMessageIsKnownByItsQueueHoweverTheQueueURLIsSpelt() async throws {
        // The first run's result is held long enough for the second receive to find it running,
        // even on a loaded machine.
        let endpoint = try SQSScriptedEndpoint(sendDelay: .seconds(4))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let recorder = LogRecorder()
        let body = #"{"id":"t-bad","replyTo":"\#(try endpoint.queue("results").url)"}"#
        let poller = SQSQueuePoller(
            queue: try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/tasks"), intake: intake,
            logger: recorder.logger())
        let other = SQSQueuePoller(
            queue: try SQSQueueURL("https://sqs.us-east-1.api.aws/123456789012/tasks"), intake: intake,
            logger: recorder.logger())

        async let first: Void = poller.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), lease: 30)
        #expect(await eventually { !endpoint.bodies(of: "SendMessage").isEmpty })
        await other.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-2", body: body), lease: 30)
        #expect(recorder.records.contains { $0.contains("came back while it runs here") }, "\(recorder.records)")
        await first
        #expect(endpoint.bodies(of: "SendMessage").count == 1, "answered once")

        await other.handle(SQSMessage(messageId: "m-1", receiptHandle: "rh-3", body: body), lease: 30)
        #expect(endpoint.bodies(of: "SendMessage").count == 1, "not answered again")
        #expect(recorder.records.contains { $0.contains("whose result was already sent came back") }, "\(recorder.records)")
        #expect(endpoint.bodies(of: "DeleteMessage").last?.contains(#""ReceiptHandle":"rh-3""#) == true)
    }

    /// A lease is extended with the message's newest receipt handle: one received again while it
    /// is handled here (rh-2) replaces the handle its run began with (rh-1) on SQS.
    @Test func theLeaseIsExtendedWithTheNewestReceiptHandle() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, http, queue, _, poller, body) = try Self.setUp(endpoint)
        defer { http.shutdown() }
        let key = AnsweredMessages.Key(queueURL: queue.url, messageID: "m-1")
        #expect(intake.running.begin(key, receiptHandle: "rh-1"))
        #expect(!intake.running.begin(key, receiptHandle: "rh-2"), "received again while it runs")

        let heartbeat = Task {
            await poller.heartbeat(
                SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: body), leases: GrantedLease(30), logger: Logger(label: "test"))
        }
        #expect(await eventually { !endpoint.bodies(of: "ChangeMessageVisibility").isEmpty })
        heartbeat.cancel()
        await heartbeat.value
        let extensions = endpoint.bodies(of: "ChangeMessageVisibility")
        #expect(extensions.allSatisfy { $0.contains("rh-2") && !$0.contains("rh-1") }, "\(extensions)")
        intake.running.end(key)
    }

    /// An answered message is remembered for twice the longest lease it was granted (and a
    /// minute), not the `visibility_seconds` in force when its result went: a reload that lowered
    /// it from 600 to 5 would otherwise forget the message long before its 600 s lease ran out,
    /// and run it again when it came back after a delete that did not take.
    @Test func anAnswerIsRememberedForTheLeaseTheMessageWasGranted() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, http, queue, _, poller, body) = try Self.setUp(endpoint)
        defer { http.shutdown() }
        let key = AnsweredMessages.Key(queueURL: queue.url, messageID: "m-600")
        let answeredAt = ContinuousClock.now
        await poller.handle(SQSMessage(messageId: "m-600", receiptHandle: "rh-600", body: body), lease: 600)
        #expect(endpoint.bodies(of: "SendMessage").count == 1)
        // visibility_seconds is 5 now: 70 s would have been all.
        #expect(intake.answered.contains(key, now: answeredAt + .seconds(1_200)))
        #expect(!intake.answered.contains(key, now: .now + .seconds(1_261)))
    }

    /// The heartbeat records each extension SQS granted, for how long the answer is remembered.
    @Test func theHeartbeatRecordsTheLeasesItWasGranted() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (_, http, _, _, poller, body) = try Self.setUp(endpoint)
        defer { http.shutdown() }
        let granted = GrantedLease(3)
        let heartbeat = Task {
            await poller.heartbeat(
                SQSMessage(messageId: "m-3", receiptHandle: "rh-3", body: body), leases: granted,
                logger: Logger(label: "test"))
        }
        #expect(await eventually { !endpoint.bodies(of: "ChangeMessageVisibility").isEmpty })
        #expect(await eventually { granted.longestSeconds == 5 }, "extended to visibility_seconds (5)")
        heartbeat.cancel()
        await heartbeat.value
        granted.extended(to: 4)
        #expect(granted.longestSeconds == 5, "the longest is kept")
    }
}
