import AWSCore
import Logging

extension SQSClient {
    struct ReceiptRequest: Encodable {
        var queueUrl: String
        var receiptHandle: String
        var visibilityTimeout: Int?

        enum CodingKeys: String, CodingKey {
            case queueUrl = "QueueUrl", receiptHandle = "ReceiptHandle", visibilityTimeout = "VisibilityTimeout"
        }
    }

    /// Deletes a received message: its work is done.
    public func deleteMessage(queue: SQSQueueURL, receiptHandle: String, logger: Logger) async throws(AWSError) {
        _ = try await perform(
            "DeleteMessage", ReceiptRequest(queueUrl: queue.url, receiptHandle: receiptHandle), as: Empty.self,
            redacting: [receiptHandle], logger: logger)
    }

    /// Sets a received message's remaining lease to `seconds` from now (0: visible again at once).
    public func changeMessageVisibility(
        queue: SQSQueueURL, receiptHandle: String, seconds: Int, logger: Logger
    ) async throws(AWSError) {
        guard (0...43200).contains(seconds) else {
            throw AWSError.validation(.invalidParameterValue, "VisibilityTimeout must be 0-43200, not \(seconds)")
        }
        _ = try await perform(
            "ChangeMessageVisibility",
            ReceiptRequest(queueUrl: queue.url, receiptHandle: receiptHandle, visibilityTimeout: seconds),
            as: Empty.self, redacting: [receiptHandle], logger: logger)
    }
}
