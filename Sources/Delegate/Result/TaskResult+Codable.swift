import AWSCore
import FoundationEssentials
import JSON

/// `Codable` so that clients (`secrets-delegate submit --wait`) can read results back. Encoding
/// with a `JSONEncoder` gives the same fields as `jsonLine`; `jsonLine` is the canonical form.
extension TaskResult: Codable {
    enum CodingKeys: String, CodingKey {
        case id, status, operation, connectorId, delegate, receivedAt, finishedAt, attempts, cached, stale, result, sealed, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decodeIfPresent(String.self, forKey: .id)
        self.status = try container.decode(Status.self, forKey: .status)
        self.operation = try container.decodeIfPresent(String.self, forKey: .operation)
        self.connectorId = try container.decodeIfPresent(String.self, forKey: .connectorId)
        self.delegate = try container.decode(String.self, forKey: .delegate)
        self.receivedAt = try Self.decodeDate(container, .receivedAt)
        self.finishedAt = try Self.decodeDate(container, .finishedAt)
        self.attempts = try container.decode(Int.self, forKey: .attempts)
        self.cached = try container.decodeIfPresent(Bool.self, forKey: .cached) ?? false
        self.stale = try container.decodeIfPresent(Bool.self, forKey: .stale) ?? false
        self.result = try container.decodeIfPresent(JSONValue.self, forKey: .result)
        self.error = try container.decodeIfPresent(TaskFailure.self, forKey: .error)
        self.sealed = try container.decodeIfPresent(SealedResult.self, forKey: .sealed)
    }

    private static func decodeDate(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date {
        let text = try container.decode(String.self, forKey: key)
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "not an ISO 8601 UTC timestamp")
        }
        return date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(operation, forKey: .operation)
        try container.encodeIfPresent(connectorId, forKey: .connectorId)
        try container.encode(delegate, forKey: .delegate)
        try container.encode(Timestamp.format(receivedAt), forKey: .receivedAt)
        try container.encode(Timestamp.format(finishedAt), forKey: .finishedAt)
        try container.encode(attempts, forKey: .attempts)
        if cached { try container.encode(true, forKey: .cached) }
        if stale { try container.encode(true, forKey: .stale) }
        try container.encodeIfPresent(result, forKey: .result)
        try container.encodeIfPresent(sealed, forKey: .sealed)
        try container.encodeIfPresent(error, forKey: .error)
    }
}
