import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct PutSecretValueOutput: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var versionId: String?
        public var versionStages: [String]?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case versionId = "VersionId"
            case versionStages = "VersionStages"
        }
    }

    struct PutSecretValueRequest: Encodable {
        var secretId: String
        var clientRequestToken: String
        var secretString: String?
        var secretBinary: String?
        var versionStages: [String]?

        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
            case clientRequestToken = "ClientRequestToken"
            case secretString = "SecretString"
            case secretBinary = "SecretBinary"
            case versionStages = "VersionStages"
        }
    }

    /// Stores a new version of a secret's value. Idempotent per `taskID`.
    public func putSecretValue(
        name: String,
        value: SecretValue,
        versionStages: [String]? = nil,
        taskID: String,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<PutSecretValueOutput> {
        let fullName = try namespace.fullName(for: name)
        try value.validateSize()
        let (string, binary) = value.wireFields
        let request = PutSecretValueRequest(
            secretId: fullName,
            clientRequestToken: try IdempotencyToken.derive(
                taskID: taskID, operation: "PutSecretValue", secret: fullName, versionStages: versionStages),
            secretString: string,
            secretBinary: binary,
            versionStages: versionStages
        )
        return try await perform("PutSecretValue", request, as: PutSecretValueOutput.self, value: value, logger: logger)
    }
}
