import FoundationEssentials

/// JSON coders for the Secrets Manager wire format. Each type names AWS's PascalCase members in
/// its `CodingKeys` (`secretString` <-> `SecretString`, `arn` <-> `ARN`); dates are epoch seconds.
///
/// The member names are spelled out rather than converted by a key strategy: a custom strategy
/// runs a closure and builds a key path for every member of every request and response (a fifth
/// of the cost of reading a `GetSecretValue` answer). `GetSecretValue` itself, the call behind
/// almost every task, does without `Codable` (`GetSecretValueOutput+JSON.swift`).
enum AWSJSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}
