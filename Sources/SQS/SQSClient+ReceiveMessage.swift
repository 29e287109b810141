import AWSCore
import Logging

extension SQSClient {
    /// What one receive asks for.
    public struct ReceiveOptions: Sendable, Equatable {
        /// 1-10.
        public var maxMessages: Int
        /// Long polling, 0-20 s.
        public var waitSeconds: Int
        /// The lease the received messages get; nil keeps the queue's default.
        public var visibilitySeconds: Int?
        public var attributeNames: [String]
        public var messageAttributeNames: [String]

        public init(
            maxMessages: Int = 1, waitSeconds: Int = 20, visibilitySeconds: Int? = nil,
            attributeNames: [String] = ["ApproximateReceiveCount"], messageAttributeNames: [String] = ["All"]
        ) {
            self.maxMessages = maxMessages
            self.waitSeconds = waitSeconds
            self.visibilitySeconds = visibilitySeconds
            self.attributeNames = attributeNames
            self.messageAttributeNames = messageAttributeNames
        }
    }

    struct ReceiveMessageRequest: Encodable {
        var queueUrl: String
        var maxNumberOfMessages: Int
        var waitTimeSeconds: Int
        var visibilityTimeout: Int?
        var attributeNames: [String]
        var messageSystemAttributeNames: [String]
        var messageAttributeNames: [String]

        enum CodingKeys: String, CodingKey {
            case queueUrl = "QueueUrl", maxNumberOfMessages = "MaxNumberOfMessages", waitTimeSeconds = "WaitTimeSeconds"
            case visibilityTimeout = "VisibilityTimeout", attributeNames = "AttributeNames"
            case messageSystemAttributeNames = "MessageSystemAttributeNames"
            case messageAttributeNames = "MessageAttributeNames"
        }
    }

    struct ReceiveMessageOutput: Decodable {
        var messages: [SQSMessage]?
        enum CodingKeys: String, CodingKey { case messages = "Messages" }
    }

    /// Receives up to `options.maxMessages` messages, waiting up to `options.waitSeconds` for the
    /// first. An empty answer is no error.
    public func receiveMessage(
        queue: SQSQueueURL, options: ReceiveOptions, logger: Logger
    ) async throws(AWSError) -> [SQSMessage] {
        guard (1...10).contains(options.maxMessages), (0...20).contains(options.waitSeconds) else {
            throw AWSError.validation(
                .invalidParameterValue, "MaxNumberOfMessages must be 1-10 and WaitTimeSeconds 0-20")
        }
        let request = ReceiveMessageRequest(
            queueUrl: queue.url, maxNumberOfMessages: options.maxMessages, waitTimeSeconds: options.waitSeconds,
            visibilityTimeout: options.visibilitySeconds, attributeNames: options.attributeNames,
            messageSystemAttributeNames: options.attributeNames, messageAttributeNames: options.messageAttributeNames)
        return try await perform("ReceiveMessage", request, as: ReceiveMessageOutput.self, logger: logger).messages ?? []
    }
}
