import AWSCore
import Logging

extension SQSClient {
    struct SendMessageRequest: Encodable {
        var queueUrl: String
        var messageBody: String
        var messageAttributes: [String: SQSMessageAttribute]?
        var messageGroupId: String?
        var messageDeduplicationId: String?

        enum CodingKeys: String, CodingKey {
            case queueUrl = "QueueUrl", messageBody = "MessageBody", messageAttributes = "MessageAttributes"
            case messageGroupId = "MessageGroupId", messageDeduplicationId = "MessageDeduplicationId"
        }
    }

    struct SendMessageOutput: Decodable {
        var messageId: String?
        enum CodingKeys: String, CodingKey { case messageId = "MessageId" }
    }

    /// Sends one message with string attributes. To a FIFO queue it goes with `groupID` as its
    /// `MessageGroupId` and `deduplicationID` as its `MessageDeduplicationId` (both required there,
    /// ignored elsewhere). Returns the new message's id.
    @discardableResult
    public func sendMessage(
        queue: SQSQueueURL, body: String, attributes: [String: String] = [:], groupID: String? = nil,
        deduplicationID: String? = nil, logger: Logger
    ) async throws(AWSError) -> String? {
        var request = SendMessageRequest(queueUrl: queue.url, messageBody: body)
        if !attributes.isEmpty { request.messageAttributes = attributes.mapValues(SQSMessageAttribute.init(string:)) }
        if queue.isFIFO {
            guard let groupID, let deduplicationID else {
                throw AWSError.validation(
                    .missingParameter, "a message to the FIFO queue \(queue) needs a group and a deduplication id")
            }
            request.messageGroupId = groupID
            request.messageDeduplicationId = deduplicationID
        }
        return try await perform("SendMessage", request, as: SendMessageOutput.self, logger: logger).messageId
    }
}
