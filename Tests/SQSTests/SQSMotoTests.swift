import AWSCore
import Foundation
import Logging
@testable import SQS
import SigV4
import Testing
import TestSupport

/// The SQS client against moto_server with signature and IAM checks on.
@Suite struct SQSMotoTests {
    let logger = Logger(label: "test.sqs")

    @Test func sendReceiveChangeVisibilityAndDelete() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(name: "\(harness.prefix)-tasks", logger: logger)
        #expect(!queue.isFIFO)

        let sent = try await admin.sendMessage(
            queue: queue, body: #"{"id":"t1"}"#, attributes: ["taskId": "t1"], logger: logger)
        #expect(sent != nil)
        let received = try await admin.receiveMessage(
            queue: queue, options: .init(maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30), logger: logger)
        let message = try #require(received.first)
        #expect(received.count == 1)
        #expect(message.body == #"{"id":"t1"}"#)
        #expect(message.messageAttributes["taskId"]?.stringValue == "t1")
        #expect(message.receiveCount == 1)
        // SQS's MD5 of the body, as the SDKs check it: the body as stored.
        #expect(message.md5OfBody != nil)
        #expect(message.bodyMatchesItsMD5 == true)

        // Leased: not handed out again until made visible.
        #expect(try await admin.receiveMessage(queue: queue, options: .init(waitSeconds: 0), logger: logger).isEmpty)
        try await admin.changeMessageVisibility(
            queue: queue, receiptHandle: message.receiptHandle, seconds: 0, logger: logger)
        let again = try await admin.receiveMessage(queue: queue, options: .init(waitSeconds: 1), logger: logger)
        #expect(again.first?.messageId == message.messageId)
        #expect(again.first?.receiveCount == 2)

        try await admin.deleteMessage(queue: queue, receiptHandle: try #require(again.first).receiptHandle, logger: logger)
        let attributes = try await admin.getQueueAttributes(
            queue: queue, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            logger: logger)
        #expect(attributes["ApproximateNumberOfMessages"] == "0")
        #expect(attributes["ApproximateNumberOfMessagesNotVisible"] == "0")
    }

    @Test func fifoQueueGetsGroupAndDeduplicationIDs() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(
            name: "\(harness.prefix)-results.fifo", attributes: ["FifoQueue": "true"], logger: logger)
        #expect(queue.isFIFO)
        await #expect(throws: AWSError.self) {
            try await admin.sendMessage(queue: queue, body: "x", logger: self.logger)
        }
        for _ in 0..<2 {
            try await admin.sendMessage(
                queue: queue, body: "r1", attributes: ["taskId": "r1"], groupID: "r1", deduplicationID: "r1",
                logger: logger)
        }
        let received = try await admin.receiveMessage(
            queue: queue, options: .init(maxMessages: 10, waitSeconds: 1), logger: logger)
        #expect(received.map(\.body) == ["r1"])
    }

    @Test func userWithoutReceiveMessageIsDenied() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try await admin.createQueue(name: "\(harness.prefix)-denied", logger: logger)
        let sender = try await harness.moto.createUser(allowing: ["sqs:SendMessage"])
        let client = harness.sqsClient(credentials: sender)
        try await client.sendMessage(queue: queue, body: "allowed", logger: logger)
        do {
            _ = try await client.receiveMessage(queue: queue, options: .init(waitSeconds: 0), logger: logger)
            Issue.record("ReceiveMessage was allowed without sqs:ReceiveMessage")
        } catch {
            #expect(error.code == .accessDeniedException || error.code == .accessDenied)
            #expect(error.httpStatus == 403)
            #expect(!error.message.contains(sender.secretAccessKey))
        }
    }

    @Test func missingQueueIsAServiceError() async throws {
        let harness = try await MotoHarness.make()
        let admin = harness.sqsClient(credentials: harness.moto.admin)
        let queue = try SQSQueueURL("\(harness.moto.endpoint)/\(MotoServer.accountID)/\(harness.prefix)-nothing")
        do {
            _ = try await admin.receiveMessage(queue: queue, options: .init(waitSeconds: 0), logger: logger)
            Issue.record("a missing queue answered")
        } catch {
            #expect(error.kind == .service)
            let code = error.code.rawValue
            // Exactly one of SQS's two spellings of "no such queue" (JSON and query protocols).
            #expect(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"].contains(code), "\(code)")
        }
    }

    @Test func queueURLsAreChecked() throws {
        let queue = try SQSQueueURL("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo")
        #expect(queue.origin == "https://sqs.eu-west-1.amazonaws.com")
        #expect(queue.isFIFO)
        #expect(queue.endpoint(region: "eu-west-1").url == "https://sqs.eu-west-1.amazonaws.com")
        #expect(queue.endpoint(region: "eu-west-1", endpointOverride: "http://127.0.0.1:5000").url == "http://127.0.0.1:5000")
        for bad in ["", "sqs.amazonaws.com/1/q", "https://host", "https://host/", "ftp://host/1/q", "https://h/1/q q"] {
            #expect(throws: AWSError.self) { try SQSQueueURL(bad) }
        }
    }
}

extension MotoHarness {
    /// An SQS client on moto signing as `credentials`.
    func sqsClient(credentials: Credentials) -> SQSClient {
        SQSClient(aws: awsClient(service: "sqs", maxAttempts: 1), credentials: StaticCredentialProvider(credentials))
    }
}

/// A body's MD5 as SQS writes it (`MD5OfBody`), and whether a body matches the one given.
@Suite struct SQSBodyDigestTests {
    @Test func theMD5IsRFC1321sInLowercaseHex() {
        // RFC 1321's test suite.
        #expect(SQSBodyDigest.hexMD5(of: "") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(SQSBodyDigest.hexMD5(of: "abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(SQSBodyDigest.hexMD5(of: "message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
    }

    @Test func aBodyChangedOnItsWayDoesNotMatch() {
        let stored = #"{"id":"t1","params":{"secretString":"é"}}"#
        let md5 = SQSBodyDigest.hexMD5(of: stored)
        #expect(SQSMessage(messageId: "m", receiptHandle: "r", body: stored, md5OfBody: md5).bodyMatchesItsMD5 == true)
        #expect(
            SQSMessage(messageId: "m", receiptHandle: "r", body: stored, md5OfBody: md5?.uppercased()).bodyMatchesItsMD5
                == true)
        // One character decomposed, as a proxy normalising Unicode would.
        let changed = #"{"id":"t1","params":{"secretString":"e\#u{301}"}}"#
        #expect(SQSMessage(messageId: "m", receiptHandle: "r", body: changed, md5OfBody: md5).bodyMatchesItsMD5 == false)
        #expect(SQSMessage(messageId: "m", receiptHandle: "r", body: changed).bodyMatchesItsMD5 == nil)
    }
}
