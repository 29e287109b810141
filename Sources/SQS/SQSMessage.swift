import FoundationEssentials

/// One received message: its body, the handle that deletes it or changes its visibility (valid for
/// this receipt only), and the attributes asked for.
public struct SQSMessage: Sendable, Equatable, Decodable {
    /// The largest message body SQS carries (256 KiB): the largest task, and the largest result.
    public static let maximumBodyBytes = 256 * 1024

    public var messageId: String
    public var receiptHandle: String
    public var body: String
    /// System attributes asked for (`ApproximateReceiveCount`, ...).
    public var attributes: [String: String]
    /// String-valued message attributes (`taskId`, ...).
    public var messageAttributes: [String: SQSMessageAttribute]

    public init(
        messageId: String, receiptHandle: String, body: String, attributes: [String: String] = [:],
        messageAttributes: [String: SQSMessageAttribute] = [:]
    ) {
        self.messageId = messageId
        self.receiptHandle = receiptHandle
        self.body = body
        self.attributes = attributes
        self.messageAttributes = messageAttributes
    }

    /// How many times SQS has handed this message out, this time included (when asked for).
    public var receiveCount: Int? { attributes["ApproximateReceiveCount"].flatMap { Int($0) } }

    /// When SQS first handed this message out (when asked for; milliseconds since the epoch).
    public var firstReceivedAt: Date? {
        attributes["ApproximateFirstReceiveTimestamp"].flatMap { Int64($0) }.map {
            Date(timeIntervalSince1970: TimeInterval($0) / 1000)
        }
    }

    enum CodingKeys: String, CodingKey {
        case messageId = "MessageId", receiptHandle = "ReceiptHandle", body = "Body", attributes = "Attributes"
        case messageAttributes = "MessageAttributes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageId = try container.decode(String.self, forKey: .messageId)
        receiptHandle = try container.decode(String.self, forKey: .receiptHandle)
        body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        messageAttributes =
            try container.decodeIfPresent([String: SQSMessageAttribute].self, forKey: .messageAttributes) ?? [:]
    }
}

/// A message attribute of type `String` (or `Number`, sent as a string).
public struct SQSMessageAttribute: Sendable, Equatable, Codable {
    public var dataType: String
    public var stringValue: String?

    public init(string: String) {
        self.dataType = "String"
        self.stringValue = string
    }

    enum CodingKeys: String, CodingKey {
        case dataType = "DataType", stringValue = "StringValue"
    }
}
