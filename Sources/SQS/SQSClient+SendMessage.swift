import AWSCore
import FoundationEssentials
import Logging

extension SQSClient {
    /// One message as `SendMessage` takes it (with `queueUrl`) and as an entry of
    /// `SendMessageBatch` (with `id`): the fields not set are left out.
    struct MessageEntry: Encodable {
        var queueUrl: String?
        var id: String?
        var messageBody: String
        var messageAttributes: [String: SQSMessageAttribute]?
        var messageGroupId: String?
        var messageDeduplicationId: String?

        enum CodingKeys: String, CodingKey {
            case queueUrl = "QueueUrl", id = "Id", messageBody = "MessageBody", messageAttributes = "MessageAttributes"
            case messageGroupId = "MessageGroupId", messageDeduplicationId = "MessageDeduplicationId"
        }

        /// `message` for `queue`: to a FIFO queue with its group and deduplication ids (both
        /// required there, left out elsewhere).
        init(_ message: SQSBatchMessage, for queue: SQSQueueURL) throws(AWSError) {
            messageBody = message.body
            if !message.attributes.isEmpty {
                messageAttributes = message.attributes.mapValues(SQSMessageAttribute.init(string:))
            }
            if queue.isFIFO {
                guard let groupID = message.groupID, let deduplicationID = message.deduplicationID else {
                    throw AWSError.validation(
                        .missingParameter, "a message to the FIFO queue \(queue) needs a group and a deduplication id")
                }
                messageGroupId = groupID
                messageDeduplicationId = deduplicationID
            }
        }
    }

    struct SendMessageOutput: Decodable {
        var messageId: String?
        enum CodingKeys: String, CodingKey { case messageId = "MessageId" }
    }

    /// Sends one message with string attributes. To a FIFO queue it goes with `groupID` as its
    /// `MessageGroupId` and `deduplicationID` as its `MessageDeduplicationId` (both required there,
    /// ignored elsewhere). Returns the new message's id. `redacting`: values the body holds that
    /// an error message must not quote (``SQSBatchMessage/sensitive``).
    @discardableResult
    public func sendMessage(
        queue: SQSQueueURL, body: String, attributes: [String: String] = [:], groupID: String? = nil,
        deduplicationID: String? = nil, redacting: [String] = [], logger: Logger
    ) async throws(AWSError) -> String? {
        try await sendMessageDated(
            queue: queue, body: body, attributes: attributes, groupID: groupID, deduplicationID: deduplicationID,
            redacting: redacting, logger: logger
        ).messageID
    }

    /// ``sendMessage(queue:body:attributes:groupID:deduplicationID:redacting:logger:)``, with when
    /// SQS answered by AWS's clock (its `Date` header, to the second; nil if it sent none).
    public func sendMessageDated(
        queue: SQSQueueURL, body: String, attributes: [String: String] = [:], groupID: String? = nil,
        deduplicationID: String? = nil, redacting: [String] = [], logger: Logger
    ) async throws(AWSError) -> (messageID: String?, answeredAt: Date?) {
        var request = try MessageEntry(
            SQSBatchMessage(body: body, attributes: attributes, groupID: groupID, deduplicationID: deduplicationID),
            for: queue)
        request.queueUrl = queue.url
        let answer = try await performDated(
            "SendMessage", request, as: SendMessageOutput.self, redacting: redacting, logger: logger)
        return (answer.output.messageId, answer.answeredAt)
    }
}
