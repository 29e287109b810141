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
            attributeNames: [String] = ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"],
            messageAttributeNames: [String] = ["All"]
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
        /// FIFO queues only: the same for every attempt of one receive, so that a retry after an
        /// answer lost on its way gets that answer's messages again instead of leaving them hidden
        /// (and their groups blocked) for their visibility timeout.
        var receiveRequestAttemptId: String?

        enum CodingKeys: String, CodingKey {
            case queueUrl = "QueueUrl", maxNumberOfMessages = "MaxNumberOfMessages", waitTimeSeconds = "WaitTimeSeconds"
            case visibilityTimeout = "VisibilityTimeout", attributeNames = "AttributeNames"
            case messageSystemAttributeNames = "MessageSystemAttributeNames"
            case messageAttributeNames = "MessageAttributeNames"
            case receiveRequestAttemptId = "ReceiveRequestAttemptId"
        }
    }

    struct ReceiveMessageOutput: Decodable {
        var messages: [SQSMessage]?
        enum CodingKeys: String, CodingKey { case messages = "Messages" }
    }

    /// Receives up to `options.maxMessages` messages, waiting up to `options.waitSeconds` for the
    /// first. An empty answer is no error. From a FIFO queue with a `ReceiveRequestAttemptId` of
    /// its own, which the client's retries of this call repeat (the request is signed and sent as
    /// it was built).
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
            messageSystemAttributeNames: options.attributeNames, messageAttributeNames: options.messageAttributeNames,
            receiveRequestAttemptId: queue.isFIFO ? Self.newAttemptID() : nil)
        return try await perform("ReceiveMessage", request, as: ReceiveMessageOutput.self, logger: logger).messages ?? []
    }

    /// 32 hex digits, random: a receive's attempt id (1-128 characters SQS accepts).
    static func newAttemptID() -> String {
        (0..<2).map { _ in
            let digits = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
