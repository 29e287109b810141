import AWSCore
import Foundation
import Logging
@testable import SQS
import Testing
import TestSupport

/// `SendMessageBatch` and `DeleteMessageBatch` against moto_server with signature and IAM checks
/// on, entry by entry.
@Suite struct SQSBatchMotoTests {
    let logger = Logger(label: "test.sqs-batch")

    @Test func aBatchIsSentAndDeletedEntryByEntry() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(name: "\(harness.prefix)-batch", logger: logger)

        let messages = (0..<10).map { SQSBatchMessage(body: #"{"id":"b\#($0)"}"#, attributes: ["taskId": "b\($0)"]) }
        let sent = try await admin.sendMessageBatch(queue: queue, messages: messages, logger: logger)
        #expect(sent.count == 10)
        #expect(sent.allSatisfy { $0 == nil }, "\(sent)")

        var received: [SQSMessage] = []
        for _ in 0..<5 where received.count < 10 {
            received += try await admin.receiveMessage(
                queue: queue, options: .init(maxMessages: 10, waitSeconds: 1, visibilitySeconds: 60), logger: logger)
        }
        #expect(Set(received.map(\.body)) == Set(messages.map(\.body)))
        #expect(Set(received.compactMap { $0.messageAttributes["taskId"]?.stringValue }) == Set((0..<10).map { "b\($0)" }))

        // One good handle and one that names no message: each entry answered on its own.
        let first = try #require(received.first)
        let deleted = try await admin.deleteMessageBatch(
            queue: queue, receiptHandles: [first.receiptHandle, "not-a-receipt-handle"], logger: logger)
        #expect(deleted.count == 2)
        #expect(deleted[0] == nil)
        let refused = try #require(deleted[1])
        #expect(refused.kind == .service)
        #expect(refused.code.rawValue == "ReceiptHandleIsInvalid", "\(refused)")
        #expect(!refused.retryable, "SQS blames the sender")
        #expect(!refused.message.contains("not-a-receipt-handle"), "no receipt handle in an error: \(refused.message)")

        let rest = received.dropFirst().map(\.receiptHandle)
        let deletedRest = try await admin.deleteMessageBatch(queue: queue, receiptHandles: Array(rest), logger: logger)
        #expect(deletedRest.allSatisfy { $0 == nil }, "\(deletedRest)")
        let attributes = try await admin.getQueueAttributes(
            queue: queue, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            logger: logger)
        #expect(attributes["ApproximateNumberOfMessages"] == "0")
        #expect(attributes["ApproximateNumberOfMessagesNotVisible"] == "0")
    }

    @Test func fifoBatchesCarryGroupAndDeduplicationIDsAndLimitsAreCheckedBeforeSending() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(
            name: "\(harness.prefix)-batch.fifo", attributes: ["FifoQueue": "true"], logger: logger)
        let twice = [
            SQSBatchMessage(body: "r1", groupID: "r1", deduplicationID: "r1"),
            SQSBatchMessage(body: "r2", groupID: "r2", deduplicationID: "r2"),
        ]
        #expect(try await admin.sendMessageBatch(queue: queue, messages: twice, logger: logger) == [nil, nil])
        #expect(try await admin.sendMessageBatch(queue: queue, messages: twice, logger: logger) == [nil, nil])
        let received = try await admin.receiveMessage(
            queue: queue, options: .init(maxMessages: 10, waitSeconds: 1), logger: logger)
        #expect(received.map(\.body).sorted() == ["r1", "r2"], "deduplicated by id")

        let noGroup = await #expect(throws: AWSError.self) {
            try await admin.sendMessageBatch(queue: queue, messages: [SQSBatchMessage(body: "x")], logger: self.logger)
        }
        #expect(noGroup?.kind == .validation)
        let eleven = (0..<11).map { SQSBatchMessage(body: "\($0)", groupID: "g", deduplicationID: "\($0)") }
        let tooMany = await #expect(throws: AWSError.self) {
            try await admin.sendMessageBatch(queue: queue, messages: eleven, logger: self.logger)
        }
        #expect(tooMany?.kind == .validation)
        let big = String(repeating: "x", count: SQSClient.maximumBatchBytes / 2)
        let tooLarge = await #expect(throws: AWSError.self) {
            try await admin.sendMessageBatch(
                queue: queue,
                messages: (0..<3).map { SQSBatchMessage(body: big, groupID: "g", deduplicationID: "\($0)") },
                logger: self.logger)
        }
        #expect(tooLarge?.kind == .validation)
    }

    /// moto checks the batch calls as their own IAM actions (AWS checks `sqs:SendMessage`): an
    /// identity with only `sqs:SendMessage` is refused the batch there, as a whole.
    @Test func aRefusedBatchCallFailsAsAWhole() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(name: "\(harness.prefix)-batch-denied", logger: logger)
        let sender = try await harness.moto.createUser(allowing: ["sqs:SendMessage"])
        let client = harness.sqsClient(credentials: sender)
        try await client.sendMessage(queue: queue, body: "alone is allowed", logger: logger)
        let error = await #expect(throws: AWSError.self) {
            try await client.sendMessageBatch(queue: queue, messages: [SQSBatchMessage(body: "x")], logger: self.logger)
        }
        #expect(error?.httpStatus == 403)
        #expect(!(error?.message.contains(sender.secretAccessKey) ?? true))
    }
}

/// A batch answer read entry by entry, without a server.
@Suite struct SQSBatchOutcomeTests {
    /// Entries are matched to the answer by id; one the answer leaves out, or names with an id
    /// out of range, is an `InvalidResponse` worth trying again.
    @Test func outcomesFollowTheAnswersIDs() throws {
        let answer = #"{"Successful":[{"Id":"2","MessageId":"m"},{"Id":"9"},{"Id":"x"}],"#
            + #""Failed":[{"Id":"0","Code":"InternalError","Message":"try later","SenderFault":false},"#
            + #"{"Id":"1","Code":"InvalidParameterValue","Message":"bad","SenderFault":true}]}"#
        let output = try JSONDecoder().decode(SQSClient.BatchOutput.self, from: Data(answer.utf8))
        let outcomes = SQSClient.outcomes(
            of: output, count: 4, operation: "SendMessageBatch", redactor: MessageRedactor(secrets: []))
        #expect(outcomes.count == 4)
        #expect(outcomes[0]?.code.rawValue == "InternalError")
        #expect(outcomes[0]?.retryable == true)
        #expect(outcomes[1]?.code == .invalidParameterValue)
        #expect(outcomes[1]?.retryable == false)
        #expect(outcomes[2] == nil)
        #expect(outcomes[3]?.code == .invalidResponse)
        #expect(outcomes[3]?.retryable == true)
    }
}
