import FoundationEssentials

/// One received message: its body, the handle that deletes it or changes its visibility (valid for
/// this receipt only), and the attributes asked for.
public struct SQSMessage: Sendable, Equatable, Decodable {
    /// The largest message any queue carries: 1 MiB since August 2025 (256 KiB before: a queue
    /// made then carries no more unless its `MaximumMessageSize` is raised).
    public static let largestSizeLimit = 1_048_576
    /// The message size every queue carries, and docs/INTERFACE.md section 12's limit: the
    /// largest task and the largest result unless `[sqs] max_message_bytes` says the queues
    /// carry more.
    public static let classicSizeLimit = 256 * 1024

    public var messageId: String
    public var receiptHandle: String
    public var body: String
    /// System attributes asked for (`ApproximateReceiveCount`, ...).
    public var attributes: [String: String]
    /// String-valued message attributes (`taskId`, ...).
    public var messageAttributes: [String: SQSMessageAttribute]
    /// The MD5 of the body SQS stored, as SQS gives it (lowercase hex), when it gave one.
    public var md5OfBody: String?

    public init(
        messageId: String, receiptHandle: String, body: String, attributes: [String: String] = [:],
        messageAttributes: [String: SQSMessageAttribute] = [:], md5OfBody: String? = nil
    ) {
        self.messageId = messageId
        self.receiptHandle = receiptHandle
        self.body = body
        self.attributes = attributes
        self.messageAttributes = messageAttributes
        self.md5OfBody = md5OfBody
    }

    /// Whether the body is the one SQS stored, by its `MD5OfBody`: false for a body changed on
    /// its way here; nil when SQS gave no MD5 or this host's libcrypto makes none (FIPS mode).
    public var bodyMatchesItsMD5: Bool? {
        guard let md5OfBody, let made = SQSBodyDigest.hexMD5(of: body) else { return nil }
        return md5OfBody.lowercased() == made
    }

    /// How many times SQS has handed this message out, this time included (when asked for).
    public var receiveCount: Int? { attributes["ApproximateReceiveCount"].flatMap { Int($0) } }

    /// When SQS took the message in, by SQS's clock (when asked for).
    public var sentAt: Date? { timestamp("SentTimestamp") }

    /// When SQS first handed this message out, by SQS's clock (when asked for).
    public var firstReceivedAt: Date? { timestamp("ApproximateFirstReceiveTimestamp") }

    /// The attribute `name`, milliseconds since the epoch, as a date.
    private func timestamp(_ name: String) -> Date? {
        attributes[name].flatMap { Int64($0) }.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
    }

    enum CodingKeys: String, CodingKey {
        case messageId = "MessageId", receiptHandle = "ReceiptHandle", body = "Body", attributes = "Attributes"
        case messageAttributes = "MessageAttributes", md5OfBody = "MD5OfBody"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageId = try container.decode(String.self, forKey: .messageId)
        receiptHandle = try container.decode(String.self, forKey: .receiptHandle)
        body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        messageAttributes =
            try container.decodeIfPresent([String: SQSMessageAttribute].self, forKey: .messageAttributes) ?? [:]
        md5OfBody = try container.decodeIfPresent(String.self, forKey: .md5OfBody)
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
