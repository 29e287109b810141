import AWSCore
import Logging

/// One message of a `SendMessageBatch`: as ``SQSClient/sendMessage(queue:body:attributes:groupID:deduplicationID:redacting:logger:)``
/// takes it.
public struct SQSBatchMessage: Sendable, Equatable {
    public var body: String
    public var attributes: [String: String]
    public var groupID: String?
    public var deduplicationID: String?
    /// Values the body holds that no error message may quote (a result's secret value): an SQS
    /// error message that does is logged and recorded with `<redacted>` in their place.
    public var sensitive: [String]

    public init(
        body: String, attributes: [String: String] = [:], groupID: String? = nil, deduplicationID: String? = nil,
        sensitive: [String] = []
    ) {
        self.body = body
        self.attributes = attributes
        self.groupID = groupID
        self.deduplicationID = deduplicationID
        self.sensitive = sensitive
    }

    /// The bytes SQS counts against a batch's size limit: the body and every attribute's name,
    /// type and value.
    public var countedBytes: Int {
        attributes.reduce(body.utf8.count) { total, attribute in
            total + attribute.key.utf8.count + "String".utf8.count + attribute.value.utf8.count
        }
    }
}

extension SQSClient {
    /// The most entries one batch request holds.
    public static let maximumBatchEntries = 10
    /// The most message bytes one `SendMessageBatch` holds (the sum of ``SQSBatchMessage/countedBytes``):
    /// SQS's limit, 1 MiB since August 2025 (a caller keeps its batches to what its queues carry,
    /// `[sqs] max_message_bytes`).
    public static let maximumBatchBytes = SQSMessage.largestSizeLimit

    /// Either batch call's request: the queue and its entries.
    struct BatchRequest<Entry: Encodable>: Encodable {
        var queueUrl: String
        var entries: [Entry]

        enum CodingKeys: String, CodingKey { case queueUrl = "QueueUrl", entries = "Entries" }
    }

    struct DeleteEntry: Encodable {
        var id: String
        var receiptHandle: String
        enum CodingKeys: String, CodingKey { case id = "Id", receiptHandle = "ReceiptHandle" }
    }

    /// The answer of either batch call: which entries succeeded, and why the others failed.
    struct BatchOutput: Decodable {
        struct Succeeded: Decodable {
            var id: String
            enum CodingKeys: String, CodingKey { case id = "Id" }
        }
        struct Failed: Decodable {
            var id: String
            var code: String?
            var message: String?
            var senderFault: Bool?
            enum CodingKeys: String, CodingKey {
                case id = "Id", code = "Code", message = "Message", senderFault = "SenderFault"
            }
        }
        var successful: [Succeeded]?
        var failed: [Failed]?

        enum CodingKeys: String, CodingKey { case successful = "Successful", failed = "Failed" }
    }

    /// Sends up to ``maximumBatchEntries`` messages in one `SendMessageBatch` (IAM authorizes it
    /// as `sqs:SendMessage`). Returns one outcome per message, in order: nil for a message sent,
    /// else why it was not (an entry SQS failed is `retryable` unless SQS blamed the sender).
    /// Throws when the call as a whole failed: then no message was sent.
    public func sendMessageBatch(
        queue: SQSQueueURL, messages: [SQSBatchMessage], logger: Logger
    ) async throws(AWSError) -> [AWSError?] {
        try Self.checkBatch(count: messages.count)
        let bytes = messages.reduce(0) { $0 + $1.countedBytes }
        guard bytes <= Self.maximumBatchBytes else {
            throw AWSError.validation(
                .invalidParameterValue, "a batch of \(bytes) message bytes; at most \(Self.maximumBatchBytes)")
        }
        var entries: [MessageEntry] = []
        for (index, message) in messages.enumerated() {
            var entry = try MessageEntry(message, for: queue)
            entry.id = String(index)
            entries.append(entry)
        }
        let sensitive = messages.flatMap(\.sensitive)
        let output = try await perform(
            "SendMessageBatch", BatchRequest(queueUrl: queue.url, entries: entries), as: BatchOutput.self,
            redacting: sensitive, logger: logger)
        return Self.outcomes(
            of: output, count: messages.count, operation: "SendMessageBatch",
            redactor: MessageRedactor(secrets: sensitive))
    }

    /// Deletes up to ``maximumBatchEntries`` received messages in one `DeleteMessageBatch` (IAM
    /// authorizes it as `sqs:DeleteMessage`). Outcomes as for ``sendMessageBatch(queue:messages:logger:)``.
    public func deleteMessageBatch(
        queue: SQSQueueURL, receiptHandles: [String], logger: Logger
    ) async throws(AWSError) -> [AWSError?] {
        try Self.checkBatch(count: receiptHandles.count)
        let entries = receiptHandles.enumerated().map { DeleteEntry(id: String($0), receiptHandle: $1) }
        let output = try await perform(
            "DeleteMessageBatch", BatchRequest(queueUrl: queue.url, entries: entries), as: BatchOutput.self,
            redacting: receiptHandles, logger: logger)
        return Self.outcomes(
            of: output, count: receiptHandles.count, operation: "DeleteMessageBatch",
            redactor: MessageRedactor(secrets: receiptHandles))
    }

    private static func checkBatch(count: Int) throws(AWSError) {
        guard (1...maximumBatchEntries).contains(count) else {
            throw AWSError.validation(
                .invalidParameterValue, "a batch holds 1-\(maximumBatchEntries) entries, not \(count)")
        }
    }

    /// One outcome per entry id `0..<count`; an entry the answer does not mention is an
    /// `InvalidResponse` (whether it took effect is unknown). Entry messages come from SQS as they
    /// are: `redactor` bounds them and takes out what the request carried (receipt handles, the
    /// bodies' secret values); a code outside `A-Za-z0-9._:-` or over 128 characters is `InternalError`.
    static func outcomes(
        of output: BatchOutput, count: Int, operation: String, redactor: MessageRedactor
    ) -> [AWSError?] {
        var outcomes = [AWSError?](
            repeating: AWSError(
                kind: .invalidResponse, code: .invalidResponse,
                message: "the \(operation) answer does not mention this entry", retryable: true),
            count: count)
        for entry in output.successful ?? [] {
            if let index = Int(entry.id), outcomes.indices.contains(index) { outcomes[index] = nil }
        }
        for entry in output.failed ?? [] {
            guard let index = Int(entry.id), outcomes.indices.contains(index) else { continue }
            // Bounded as a whole failed call's code is: it reaches results and the journal. And
            // dropped as that one's is when it holds what the request carried (a secret echoed),
            // but for a code callers decide by (`KmsThrottled`).
            let code = entry.code.flatMap { AWSError.Code(sent: $0, keptFrom: redactor) }
            outcomes[index] = AWSError(
                kind: .service, code: code ?? AWSError.Code(rawValue: "InternalError"),
                message: entry.message.map(redactor.redact) ?? "\(operation) failed for this entry",
                retryable: entry.senderFault != true)
        }
        return outcomes
    }
}
