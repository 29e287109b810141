import AWSCore
import Logging

extension SQSClient {
    struct GetQueueAttributesRequest: Encodable {
        var queueUrl: String
        var attributeNames: [String]
        enum CodingKeys: String, CodingKey { case queueUrl = "QueueUrl", attributeNames = "AttributeNames" }
    }

    struct QueueAttributesOutput: Decodable {
        var attributes: [String: String]?
        enum CodingKeys: String, CodingKey { case attributes = "Attributes" }
    }

    /// A queue's attributes (`ApproximateNumberOfMessages`, `VisibilityTimeout`, `All`, ...); for
    /// tests, like ``createQueue(name:attributes:logger:)``.
    public func getQueueAttributes(
        queue: SQSQueueURL, names: [String] = ["All"], logger: Logger
    ) async throws(AWSError) -> [String: String] {
        try await perform(
            "GetQueueAttributes", GetQueueAttributesRequest(queueUrl: queue.url, attributeNames: names),
            as: QueueAttributesOutput.self, logger: logger
        ).attributes ?? [:]
    }

    struct CreateQueueRequest: Encodable {
        var queueName: String
        var attributes: [String: String]?
        enum CodingKeys: String, CodingKey { case queueName = "QueueName", attributes = "Attributes" }
    }

    struct CreateQueueOutput: Decodable {
        var queueUrl: String
        enum CodingKeys: String, CodingKey { case queueUrl = "QueueUrl" }
    }

    /// Creates a queue (or finds the one of that name with the same attributes) and returns its
    /// URL: for tests (`@testable`); the delegate itself never creates queues.
    func createQueue(
        name: String, attributes: [String: String] = [:], logger: Logger
    ) async throws(AWSError) -> SQSQueueURL {
        let output = try await perform(
            "CreateQueue", CreateQueueRequest(queueName: name, attributes: attributes.isEmpty ? nil : attributes),
            as: CreateQueueOutput.self, logger: logger)
        return try SQSQueueURL(output.queueUrl)
    }
}
