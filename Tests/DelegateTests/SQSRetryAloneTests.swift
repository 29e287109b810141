import AWSCore
import Logging
import SQS
import Testing

@testable import Delegate

/// Results and deletes go to SQS in batches; an entry the batch could not settle is tried once
/// more on its own when that can help (a failure on SQS's side), and not when it cannot (SQS
/// blamed the sender). Against a scripted SQS endpoint, counting the calls it gets.
@Suite struct SQSRetryAloneTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func aResultSQSFailedOnItsSideIsSentAgainAlone() async throws {
        let endpoint = try SQSScriptedEndpoint(batchFailure: (code: "InternalError", senderFault: false))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try SQSQueueURL("\(endpoint.server.baseURL)/123456789012/results")

        let failure = await intake.send(SQSBatchMessage(body: "result"), to: queue, logger: logger)
        #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
        #expect(endpoint.actions == ["SendMessageBatch", "SendMessage"])
    }

    @Test func aResultSQSRefusedAsTheSendersFaultIsNotSentAgain() async throws {
        let endpoint = try SQSScriptedEndpoint(batchFailure: (code: "InvalidParameterValue", senderFault: true))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try SQSQueueURL("\(endpoint.server.baseURL)/123456789012/results")

        let failure = await intake.send(SQSBatchMessage(body: "result"), to: queue, logger: logger)
        #expect(failure?.code == AWSError.Code(rawValue: "InvalidParameterValue"))
        #expect(failure?.retryable == false)
        #expect(endpoint.actions == ["SendMessageBatch"])
    }

    @Test func aDeleteSQSFailedOnItsSideIsMadeAgainAlone() async throws {
        let endpoint = try SQSScriptedEndpoint(batchFailure: (code: "InternalError", senderFault: false))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try SQSQueueURL("\(endpoint.server.baseURL)/123456789012/tasks")

        let failure = await intake.delete(receiptHandle: "receipt-handle-secret", from: queue, logger: logger)
        #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
        #expect(endpoint.actions == ["DeleteMessageBatch", "DeleteMessage"])
    }

    @Test func aDeleteRefusedAsTheSendersFaultIsNotMadeAgain() async throws {
        let endpoint = try SQSScriptedEndpoint(batchFailure: (code: "ReceiptHandleIsInvalid", senderFault: true))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let queue = try SQSQueueURL("\(endpoint.server.baseURL)/123456789012/tasks")

        let failure = await intake.delete(receiptHandle: "receipt-handle-secret", from: queue, logger: logger)
        #expect(failure?.code == AWSError.Code(rawValue: "ReceiptHandleIsInvalid"))
        #expect(endpoint.actions == ["DeleteMessageBatch"])
    }
}
