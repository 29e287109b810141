import Foundation
import Logging
import SQS
import TestSupport
import Synchronization
import Testing

@testable import Delegate

/// A result message must fit in an SQS message, or the task would run again after every lease.
@Suite struct SQSResultBodyTests {
    static func result(value: String) -> TaskResult {
        TaskResult(
            id: "big", status: .succeeded, operation: "listSecrets", connectorId: "prod", delegate: "d",
            receivedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 1), attempts: 3,
            result: .object(["secrets": .string(value)]))
    }

    @Test func aResultThatFitsIsSentAsIs() {
        let result = Self.result(value: "small")
        let (message, oversize) = SQSQueuePoller.resultMessage(for: result, taskID: "big", taskMessageID: "m-big", limit: SQSMessage.classicSizeLimit)
        #expect(message.body == result.jsonLine)
        // The task message answered, so that submit --wait tells its own send from an earlier one.
        #expect(message.attributes == ["taskId": "big", "taskMessageId": "m-big"])
        // Grouped by task id; deduplicated by the task message: a rerun of that message sends the
        // same id (a FIFO queue drops the copy), the same task id sent again another.
        #expect(message.groupID == "big")
        #expect(message.deduplicationID == "m-big")
        #expect(oversize == nil)
        // Nothing secret in a listSecrets result; a value is named for redaction, sealed none.
        #expect(message.sensitive.isEmpty)
        var secret = result
        secret.result = .object(["name": .string("db"), "secretString": .string("pw-1"), "value": .string("k")])
        #expect(
            SQSQueuePoller.resultMessage(for: secret, taskID: "v", taskMessageID: "m", limit: SQSMessage.classicSizeLimit).message.sensitive == [
                "pw-1", "k",
            ])
        var password = result
        password.result = .object(["randomPassword": .string("r4nd0m")])
        #expect(SQSQueuePoller.resultMessage(for: password, taskID: "p", taskMessageID: "m", limit: SQSMessage.classicSizeLimit).message.sensitive == ["r4nd0m"])
    }

    @Test func aResultOverAnSQSMessageBecomesAResultTooLargeFailureThatFits() throws {
        let filler = String(repeating: "s3cr3t-", count: 40_000)
        let (message, oversize) = SQSQueuePoller.resultMessage(for: Self.result(value: filler), taskID: "big", taskMessageID: "m-big", limit: SQSMessage.classicSizeLimit)
        let body = message.body
        #expect((oversize ?? 0) > 256 * 1024)
        #expect(body.utf8.count <= 256 * 1024)
        #expect(!body.contains("s3cr3t"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "big")
        #expect(object["status"] as? String == "failed")
        #expect(object["attempts"] as? Int == 3)
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "ResultTooLarge")
        #expect(error["retryable"] as? Bool == false)
        #expect(object["result"] == nil)
    }

    /// SQS counts the attributes too: a body that fits alone but not with its `taskId` and
    /// `taskMessageId` attributes would be refused at every lease, so it is replaced as well.
    @Test func theTaskIDAttributeCountsTowardsTheLimit() throws {
        let empty = Self.result(value: "").jsonLine.utf8.count
        let taskID = String(repeating: "t", count: 64)
        let fitsAlone = Self.result(value: String(repeating: "v", count: 256 * 1024 - empty))
        #expect(fitsAlone.jsonLine.utf8.count == 256 * 1024)
        let (message, oversize) = SQSQueuePoller.resultMessage(for: fitsAlone, taskID: taskID, taskMessageID: "m-1", limit: SQSMessage.classicSizeLimit)
        #expect(
            oversize == 256 * 1024 + "taskId".utf8.count + "String".utf8.count + taskID.utf8.count
                + "taskMessageId".utf8.count + "String".utf8.count + "m-1".utf8.count)
        #expect(message.countedBytes <= 256 * 1024)
        #expect(message.body.contains("ResultTooLarge"))
    }
}

/// A result too large for an SQS message is counted, and journaled, as the `ResultTooLarge`
/// failure the producer gets, not as the success it replaced.
@Suite struct SQSTooLargeCountTests {
    @Test(.timeLimit(.minutes(1))) func aResultTooLargeIsCountedAsTheFailureSent() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let secretsManager = ScriptedHTTPClient()
        secretsManager.always(.any, ScriptedExecutorFixture.secret(value: String(repeating: "v", count: 300_000)))
        let dispatcher = ScriptedExecutorFixture.dispatcher(http: secretsManager, accessKeyID: "AKIDTOOLARGE")
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [try endpoint.queue("tasks").url], region: "us-east-1", endpoint: endpoint.server.baseURL,
            waitSeconds: 1, visibilitySeconds: 30, resultQueueURL: try endpoint.queue("results").url)
        let recorder = LogRecorder()
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(), dispatcher: dispatcher, logger: recorder.logger())
        defer { http.shutdown() }
        let body = #"{"id":"t-big","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getSecretValue","params":{"name":"db"}}"#

        await SQSQueuePoller(queue: try endpoint.queue("tasks"), intake: intake, logger: recorder.logger())
            .handle(SQSMessage(messageId: "m-big", receiptHandle: "rh-big", body: body), lease: 30)

        let sent = endpoint.bodies(of: "SendMessage")
        #expect(sent.count == 1 && sent.allSatisfy { $0.contains("ResultTooLarge") }, "\(endpoint.actions)")
        let counts = dispatcher.status.snapshot
        #expect(counts.failed == 1 && counts.succeeded == 0, "\(counts)")
        #expect(!recorder.allText.contains("task-succeeded"), "\(recorder.records)")
        #expect(recorder.allText.contains("task-failed"), "\(recorder.records)")
        // The warning says how large the result was (RESULT_BYTES), over SQS's 256 KiB.
        let warning = try #require(recorder.records.first { $0.contains("a result too large for SQS") })
        let bytes = warning.split(separator: " ").first { $0.hasPrefix("result_bytes=") }
            .flatMap { Int($0.dropFirst("result_bytes=".count)) }
        #expect((bytes ?? 0) > 262_144 && warning.contains("task_id=t-big"), "\(warning)")
        let error = try #require(sent.first)
        #expect(error.contains("at most 262144 (the delegate's [sqs] max_message_bytes"), "\(error.prefix(600))")
    }

    /// `[sqs] max_message_bytes` raised to SQS's 1 MiB (queues that carry it): the same result is
    /// sent as it is.
    @Test(.timeLimit(.minutes(1))) func aRaisedMessageLimitSendsTheResult() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let value = String(repeating: "v", count: 300_000)
        let secretsManager = ScriptedHTTPClient()
        secretsManager.always(.any, ScriptedExecutorFixture.secret(value: value))
        let dispatcher = ScriptedExecutorFixture.dispatcher(http: secretsManager, accessKeyID: "AKIDRAISED")
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [try endpoint.queue("tasks").url], region: "us-east-1", endpoint: endpoint.server.baseURL,
            waitSeconds: 1, visibilitySeconds: 30, resultQueueURL: try endpoint.queue("results").url,
            maxMessageBytes: 1 << 20)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(), dispatcher: dispatcher, logger: quiet)
        defer { http.shutdown() }
        let body =
            #"{"id":"t-big","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getSecretValue","params":{"name":"db"}}"#

        await SQSQueuePoller(queue: try endpoint.queue("tasks"), intake: intake, logger: quiet)
            .handle(SQSMessage(messageId: "m-big", receiptHandle: "rh-big", body: body), lease: 30)

        let sent = endpoint.bodies(of: "SendMessage")
        #expect(sent.count == 1 && sent.allSatisfy { $0.contains(value) && !$0.contains("ResultTooLarge") })
        #expect(dispatcher.status.snapshot.succeeded == 1, "\(dispatcher.status.snapshot)")
    }
}

/// The results sent to a queue go in batches of no more than `[sqs] max_message_bytes` (SQS's
/// batch limit is its 1 MiB, which a queue made before 2025 does not carry), as the settings in
/// force say when each batch is made up.
@Suite struct SQSResultBatchLimitTests {
    @Test func theIntakesResultBatchesHoldWhatTheSettingsSay() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let results = try endpoint.queue("results")
        let section = Mutex(
            DelegateConfiguration.SQSSection(
                queueURLs: [try endpoint.queue("tasks").url], region: "us-east-1", endpoint: endpoint.server.baseURL,
                waitSeconds: 1, visibilitySeconds: 30, resultQueueURL: results.url, maxMessageBytes: 5_000))
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section.withLock { $0 }, sleeper: RecordingSleeper(), settings: { section.withLock { $0 } },
            logger: quiet)
        defer { http.shutdown() }
        _ = await intake.send(SQSBatchMessage(body: "{}", attributes: ["taskId": "t"]), to: results, logger: quiet)
        let batcher = intake.batchers.sender(for: results) {
            Issue.record("no batcher was made for the result queue")
            return SQSBatcher(maximumEntries: 1, maximumBytes: 0, bytes: { _ in 0 }) { _ in [] }
        }
        #expect(batcher.maximumBytes == 5_000)
        section.withLock { $0.maxMessageBytes = 9_000 }  // a reload
        #expect(batcher.maximumBytes == 9_000)
    }
}

/// `STATUS=` names a failing queue first, so that `systemctl status` shows a delegate that takes
/// no tasks from SQS (the status object's `queues.error` said so alone).
@Suite struct SQSStatusLineTests {
    @Test func theFailingQueuesLeadTheStatusLine() {
        var working = SQSQueueStatus.Counts()
        working.received = 3
        var denied = SQSQueueStatus.Counts()
        denied.errors["ReceiveMessage"] = "ReceiveMessage: AccessDenied: " + String(repeating: "x", count: 300)
        var missing = SQSQueueStatus.Counts()
        missing.errors["ReceiveMessage"] = "ReceiveMessage: QueueDoesNotExist"
        #expect(SQSQueueStatus.failingSummary(["https://q/1/a": working]) == nil)
        let summary = SQSQueueStatus.failingSummary([
            "https://q/1/c": missing, "https://q/1/b": denied, "https://q/1/a": working,
        ])
        #expect(
            summary?.hasPrefix("SQS queue failing: https://q/1/b (ReceiveMessage: AccessDenied: xxx") == true,
            "\(summary ?? "-")")
        #expect(summary?.hasSuffix(") +1 more") == true, "\(summary ?? "-")")
        #expect((summary?.utf8.count ?? 0) < 260, "the error is cut at 200 bytes: \(summary ?? "-")")
    }

    /// A queue that no longer receives or answers is shown so, however long an older refusal of
    /// a lease extension or a delete is: those come after in the line.
    @Test func receiveAndSendFailuresComeFirst() {
        var queue = SQSQueueStatus.Counts()
        queue.errors["DeleteMessage"] = "DeleteMessage: AccessDenied: " + String(repeating: "d", count: 300)
        queue.errors["ChangeMessageVisibility"] = "ChangeMessageVisibility: AccessDenied: not authorized"
        queue.errors["SendMessage"] = "SendMessage: QueueDoesNotExist (to https://q/1/results)"
        #expect(queue.error?.hasPrefix("SendMessage: QueueDoesNotExist (to https://q/1/results); ChangeMessageVisibility") == true, "\(queue.error ?? "-")")
        queue.errors["ReceiveMessage"] = "ReceiveMessage: QueueDoesNotExist"
        let summary = SQSQueueStatus.failingSummary(["https://q/1/a": queue])
        #expect(summary?.hasPrefix("SQS queue failing: https://q/1/a (ReceiveMessage: QueueDoesNotExist; SendMessage: QueueDoesNotExist") == true, "\(summary ?? "-")")
    }
}
