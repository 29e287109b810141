import AWSCore
import Logging
import SQS
import Testing

@testable import Delegate

/// Results and deletes go to SQS in batches; an entry the batch could not settle is tried once
/// more on its own when that can help (a failure on SQS's side), and not when it cannot (SQS
/// blamed the sender). Against a scripted SQS endpoint, counting the calls it gets.
@Suite struct SQSRetryAloneTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var delete: Bool
        var code: String
        var senderFault: Bool
        var testDescription: String { "\(delete ? "delete" : "send"), \(code), senderFault \(senderFault)" }
    }

    @Test(arguments: [
        Case(delete: false, code: "InternalError", senderFault: false),
        Case(delete: false, code: "InvalidParameterValue", senderFault: true),
        Case(delete: true, code: "InternalError", senderFault: false),
        Case(delete: true, code: "ReceiptHandleIsInvalid", senderFault: true),
    ])
    func anEntryIsTriedAloneOnlyWhenSQSFailedItOnItsSide(_ entry: Case) async throws {
        let endpoint = try SQSScriptedEndpoint(batchFailure: (code: entry.code, senderFault: entry.senderFault))
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        let failure =
            entry.delete
            ? await intake.delete(receiptHandle: "receipt-handle-secret", from: try endpoint.queue("tasks"), logger: logger)
            : await intake.send(SQSBatchMessage(body: "result"), to: try endpoint.queue("results"), logger: logger)

        let batch = entry.delete ? "DeleteMessageBatch" : "SendMessageBatch"
        if entry.senderFault {
            #expect(failure?.code == AWSError.Code(rawValue: entry.code))
            #expect(failure?.retryable == false)
            #expect(endpoint.actions == [batch])
        } else {
            #expect(failure == nil, "\(failure.map { "\($0)" } ?? "")")
            #expect(endpoint.actions == [batch, entry.delete ? "DeleteMessage" : "SendMessage"])
        }
    }

    /// An endpoint that refuses the batch action itself (an identity allowed `SendMessage` but not
    /// `SendMessageBatch`): every entry still goes, alone, and the batch call is not made again
    /// for the next entries (one refused call per `aloneAfterRefusal` entries, not one per batch).
    @Test(arguments: [false, true])
    func aRefusedBatchActionIsNotTriedAgainForAWhile(delete: Bool) async throws {
        let endpoint = try SQSScriptedEndpoint(refuseBatchAction: true)
        defer { endpoint.server.stop() }
        let (intake, http, _) = try endpoint.intake()
        defer { http.shutdown() }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let turns = SQSIntake.aloneAfterRefusal
        let entries = turns + 2
        for index in 0..<entries {
            let failure =
                delete
                ? await intake.delete(receiptHandle: "handle-\(index)", from: try endpoint.queue("tasks"), logger: logger)
                : await intake.send(SQSBatchMessage(body: "result \(index)"), to: try endpoint.queue("results"), logger: logger)
            #expect(failure == nil, "entry \(index): \(failure.map { "\($0)" } ?? "")")
        }
        let (batch, single) = delete ? ("DeleteMessageBatch", "DeleteMessage") : ("SendMessageBatch", "SendMessage")
        #expect(endpoint.actions.filter { $0 == single }.count == entries)
        // The first entry's batch call, then `turns` entries alone, then one batch call again.
        #expect(endpoint.actions.filter { $0 == batch }.count == 2, "\(endpoint.actions)")
        #expect(endpoint.actions.prefix(3) == [batch, single, single])
        #expect(endpoint.actions.suffix(2) == [batch, single])

        // Another queue is not affected.
        _ = delete
            ? await intake.delete(receiptHandle: "other", from: try endpoint.queue("other"), logger: logger)
            : await intake.send(SQSBatchMessage(body: "other"), to: try endpoint.queue("other"), logger: logger)
        #expect(endpoint.actions.suffix(2) == [batch, single])
    }
}
