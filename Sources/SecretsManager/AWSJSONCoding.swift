import Foundation

/// JSON coders for the Secrets Manager wire format: Swift's camelCase properties become AWS's
/// PascalCase members (`secretString` <-> `SecretString`, `arn` <-> `ARN`), and dates are epoch
/// seconds.
enum AWSJSONCoding {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.keyEncodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return Key(stringValue: key == "arn" ? "ARN" : key.prefix(1).uppercased() + key.dropFirst())
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            return Key(stringValue: key == "ARN" ? "arn" : key.prefix(1).lowercased() + key.dropFirst())
        }
        return decoder
    }()
}
