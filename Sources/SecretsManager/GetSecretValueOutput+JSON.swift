import FoundationEssentials
import JSON

/// `GetSecretValue`, the call behind almost every task, is written and read with the `JSON`
/// module's writer and one-pass parser rather than `JSONEncoder`/`JSONDecoder`: the generic
/// `Codable` path cost about 4 µs of the delegate's 100 µs per task. The members are read as
/// `Decodable` read them (`GetSecretValueOutputTests` compares the two): unknown members are
/// ignored, `null` is an absent member, of a member given twice the first counts, a member of
/// the wrong type or a `SecretBinary` that is not base64 makes the answer unreadable. One
/// difference: the whole answer must be valid UTF-8 JSON, where `JSONDecoder` did not look
/// inside the members it skipped (a bad escape or an overflowing number in an unknown member, or
/// in the second copy of a duplicated one). AWS does not send such answers; one is refused as
/// unreadable.
extension SecretsManagerClient.GetSecretValueOutput {
    /// The request: `SecretId`, and `VersionId` or `VersionStage` when given.
    static func requestBody(secretId: String, versionId: String?, versionStage: String?) -> Data {
        var members: JSONObject = ["SecretId": .string(secretId)]
        if let versionId { members["VersionId"] = .string(versionId) }
        if let versionStage { members["VersionStage"] = .string(versionStage) }
        return Data(JSONValue.object(members).jsonBytes)
    }

    /// The output in `json`, or nil if it is not one (not UTF-8 JSON, not an object, `ARN` or
    /// `Name` missing, a member of the wrong type).
    init?(json: Data) {
        guard let parsed = json.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }),
            case .object(let members) = parsed.value,
            case .string(let arn)? = members["ARN"], case .string(let name)? = members["Name"]
        else { return nil }
        self.arn = arn
        self.name = name
        do throws(JSONValue.Mismatch) {
            versionId = try JSONValue.optionalString(members["VersionId"])
            secretString = try JSONValue.optionalString(members["SecretString"])
            versionStages = try JSONValue.optionalStrings(members["VersionStages"])
            createdDate = try Self.date(members["CreatedDate"])
            secretBinary = nil
            if let binary = try JSONValue.optionalString(members["SecretBinary"]) {
                guard let data = Data(base64Encoded: binary) else { return nil }
                secretBinary = data
            }
        } catch {
            return nil
        }
    }

    /// Epoch seconds, as AWS's JSON protocol writes timestamps.
    private static func date(_ value: JSONValue?) throws(JSONValue.Mismatch) -> Date? {
        switch value {
        case nil, .null?: return nil
        case .integer(let seconds)?: return Date(timeIntervalSince1970: TimeInterval(seconds))
        case .number(let seconds)?: return Date(timeIntervalSince1970: seconds)
        case let other?: throw .value(other)
        }
    }
}
