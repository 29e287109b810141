import struct Foundation.Data
import SecretsManager

/// The operations of the spec's table.
public enum OperationName: String, Sendable, CaseIterable, Equatable {
    case createSecret, getSecretValue, putSecretValue, updateSecret, describeSecret, deleteSecret
    case listSecrets, listSecretVersionIds, getRandomPassword, testConnection
}

/// An operation with its typed, validated parameters.
public enum TaskOperation: Sendable, Equatable {
    case createSecret(CreateSecretParams)
    case getSecretValue(GetSecretValueParams)
    case putSecretValue(PutSecretValueParams)
    case updateSecret(UpdateSecretParams)
    case describeSecret(DescribeSecretParams)
    case deleteSecret(DeleteSecretParams)
    case listSecrets(ListSecretsParams)
    case listSecretVersionIds(ListSecretVersionIdsParams)
    case getRandomPassword(GetRandomPasswordParams)
    case testConnection

    public var name: OperationName {
        switch self {
        case .createSecret: .createSecret
        case .getSecretValue: .getSecretValue
        case .putSecretValue: .putSecretValue
        case .updateSecret: .updateSecret
        case .describeSecret: .describeSecret
        case .deleteSecret: .deleteSecret
        case .listSecrets: .listSecrets
        case .listSecretVersionIds: .listSecretVersionIds
        case .getRandomPassword: .getRandomPassword
        case .testConnection: .testConnection
        }
    }

    /// Whether the operation changes a secret, so that the read cache must forget it (section 14).
    public var writesSecret: Bool {
        switch self {
        case .createSecret, .putSecretValue, .updateSecret, .deleteSecret: true
        case .getSecretValue, .describeSecret, .listSecrets, .listSecretVersionIds, .getRandomPassword,
            .testConnection:
            false
        }
    }

    /// The secret the operation acts on, if it names one (for logs: `SECRET_NAME`).
    public var secret: SecretReference? {
        switch self {
        case .createSecret(let params): params.secret
        case .getSecretValue(let params): params.secret
        case .putSecretValue(let params): params.secret
        case .updateSecret(let params): params.secret
        case .describeSecret(let params): params.secret
        case .deleteSecret(let params): params.secret
        case .listSecretVersionIds(let params): params.secret
        case .listSecrets, .getRandomPassword, .testConnection: nil
        }
    }
}

public struct CreateSecretParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue
    public let description: String?
    public let kmsKeyId: String?
    public let tags: [SecretTag]
}

public struct GetSecretValueParams: Sendable, Equatable {
    /// `secret.jsonKey` is set for `name#key`.
    public let secret: SecretReference
    public let versionId: String?
    public let versionStage: String?
    /// `"refresh": true`: a named connector's read cache is bypassed (and given the fresh value).
    public var refresh: Bool = false
}

public struct PutSecretValueParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue
    public let versionStages: [String]?
}

public struct UpdateSecretParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue?
    public let description: String?
    public let kmsKeyId: String?
}

public struct DescribeSecretParams: Sendable, Equatable {
    public let secret: SecretReference
}

public struct DeleteSecretParams: Sendable, Equatable {
    public enum Recovery: Sendable, Equatable {
        /// AWS's default recovery window (30 days).
        case defaultWindow
        /// `recoveryWindowInDays`, 7-30.
        case window(days: Int)
        /// `forceDeleteWithoutRecovery: true`.
        case forceWithoutRecovery
    }

    public let secret: SecretReference
    public let recovery: Recovery

    public static let recoveryWindowRange = 7...30
}

public struct ListSecretsParams: Sendable, Equatable {
    /// Relative to the connector's prefix; the client adds the prefix.
    public let nameFilter: String?
    public let maxResults: Int?
    public let nextToken: String?
    /// Follow every page.
    public let all: Bool
}

public struct ListSecretVersionIdsParams: Sendable, Equatable {
    public let secret: SecretReference
    public let includeDeprecated: Bool
    public let maxResults: Int?
    public let nextToken: String?
}

/// Options left nil are not sent, so AWS's defaults apply.
public struct GetRandomPasswordParams: Sendable, Equatable {
    public let passwordLength: Int?
    public let excludeCharacters: String?
    public let excludeNumbers: Bool?
    public let excludePunctuation: Bool?
    public let excludeUppercase: Bool?
    public let excludeLowercase: Bool?
    public let includeSpace: Bool?
    public let requireEachIncludedType: Bool?

    public static let passwordLengthRange = 1...4096
}
