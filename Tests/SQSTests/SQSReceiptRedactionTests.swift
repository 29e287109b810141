import AWSCore
import Logging
import SQS
import SigV4
import TestSupport
import Testing

/// SQS quotes a bad receipt handle in its error message ("The input receipt handle \"...\" is
/// not a valid receipt handle."); errors reach the journal and `status`, so the handle is taken
/// out. (moto quotes it only in batch entries, which `SQSBatchMotoTests` covers.)
@Suite struct SQSReceiptRedactionTests {
    static let handle = "AQEBexampleReceiptHandle0123456789"

    func client(_ http: ScriptedHTTPClient) throws -> (SQSClient, SQSQueueURL) {
        (scriptedSQSClient(http, accessKeyID: "AKIDEXAMPLEREDACTION"), try SQSQueueURL("https://sqs.test/123456789012/tasks"))
    }

    /// A short handle, and one longer than the message bound: it is replaced before the message
    /// is cut, so no part of it is left either.
    @Test(arguments: [handle, String(repeating: "AQEBlongHandle", count: 90)])
    func aReceiptHandleQuotedInAnErrorIsRedacted(_ handle: String) async throws {
        let http = ScriptedHTTPClient()
        let refusal = ScriptedReply.awsError(
            // Plain quotes, as SQS words it (the script escapes them into the JSON body).
            "ReceiptHandleIsInvalid", message: "The input receipt handle \"\(handle)\" is not a valid receipt handle.")
        http.script(.any, refusal, refusal)
        let (sqs, queue) = try client(http)
        let logger = Logger(label: "redaction", factory: { _ in SwiftLogNoOpLogHandler() })
        for call in ["DeleteMessage", "ChangeMessageVisibility"] {
            do {
                if call == "DeleteMessage" {
                    try await sqs.deleteMessage(queue: queue, receiptHandle: handle, logger: logger)
                } else {
                    try await sqs.changeMessageVisibility(queue: queue, receiptHandle: handle, seconds: 0, logger: logger)
                }
                Issue.record("\(call) was refused by the script")
            } catch {
                #expect(error.code.rawValue == "ReceiptHandleIsInvalid")
                #expect(!error.message.contains(handle.prefix(12)), "\(call): \(error.message)")
                #expect(error.message.contains("<redacted>"), "\(call): \(error.message)")
            }
        }
    }

    /// A result sent to a result queue may hold a secret value: an SQS error message quoting it,
    /// for the whole call or for one entry of a batch, has `<redacted>` in its place; an entry's
    /// code outside what a code may be is `InternalError`, as a whole call's is.
    @Test func aResultsSecretValueQuotedInAnErrorIsRedacted() async throws {
        let secret = "hunter2-secret-value"
        let body = #"{"id":"t","status":"succeeded","result":{"secretString":"\#(secret)"}}"#
        let oddCode = "Bad\\nCode\\u001b[2J" + String(repeating: "A", count: 200)
        let (sqs, queue, entry) = try await batchEntryRefused(
            code: oddCode, message: "Invalid body: \(secret)", secret: secret, body: body,
            then: .awsError("InvalidMessageContents", message: "Invalid body: \(secret)"))
        let logger = Logger(label: "redaction", factory: { _ in SwiftLogNoOpLogHandler() })
        #expect(entry.code.rawValue == "InternalError")
        #expect(!entry.message.contains(secret), "\(entry.message)")
        #expect(entry.message.contains("<redacted>"), "\(entry.message)")

        let error = await #expect(throws: AWSError.self) {
            try await sqs.sendMessage(queue: queue, body: body, redacting: [secret], logger: logger)
        }
        #expect(error?.code.rawValue == "InvalidMessageContents")
        #expect(error?.message.contains(secret) == false, "\(String(describing: error?.message))")
        #expect(error?.message.contains("<redacted>") == true)
    }

    /// An entry's code that is the secret value itself (a code may be any letters and digits) is
    /// dropped, as a whole failed call's is: it would reach the journal's ERROR_CODE and status.
    @Test func anEntrysCodeHoldingTheSecretValueIsDropped() async throws {
        let secret = "hunter2SecretValue"
        let body = #"{"id":"t","status":"succeeded","result":{"secretString":"\#(secret)"}}"#
        let (_, _, entry) = try await batchEntryRefused(code: secret, message: "x", secret: secret, body: body)
        #expect(entry.code.rawValue == "InternalError")
        #expect(!entry.description.contains(secret), "\(entry)")
    }

    /// But a code callers decide by is kept whatever a secret value holds (a value `Throttled`
    /// must not turn `KmsThrottled` into `InternalError`), as a whole failed call's is.
    @Test func anEntrysCodeCallersDecideByIsKeptThoughTheSecretValueIsInIt() async throws {
        let secret = "Throttled"
        let body = #"{"id":"t","status":"succeeded","result":{"secretString":"\#(secret)"}}"#
        let (_, _, entry) = try await batchEntryRefused(code: "KmsThrottled", message: "x", secret: secret, body: body)
        #expect(entry.code.rawValue == "KmsThrottled")
    }

    /// `body` (holding `secret`) sent in a batch whose one entry SQS refuses with `code` and
    /// `message`: the client (whose next call gets `then`), the queue, and the entry's error.
    func batchEntryRefused(
        code: String, message: String, secret: String, body: String, then: ScriptedReply? = nil
    ) async throws -> (SQSClient, SQSQueueURL, AWSError) {
        let http = ScriptedHTTPClient()
        let failed = #"{"Failed":[{"Id":"0","Code":"\#(code)","Message":"\#(message)","SenderFault":false}]}"#
        if let then { http.script(.any, .json(failed), then) } else { http.script(.any, .json(failed)) }
        let (sqs, queue) = try client(http)
        let logger = Logger(label: "redaction", factory: { _ in SwiftLogNoOpLogHandler() })
        let outcomes = try await sqs.sendMessageBatch(
            queue: queue, messages: [SQSBatchMessage(body: body, sensitive: [secret])], logger: logger)
        return (sqs, queue, try #require(outcomes.first ?? nil))
    }
}
