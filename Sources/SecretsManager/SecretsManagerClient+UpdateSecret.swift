import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct UpdateSecretOutput: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var versionId: String?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case versionId = "VersionId"
        }
    }

    struct UpdateSecretRequest: Encodable {
        var secretId: String
        var clientRequestToken: String?
        var secretString: String?
        var secretBinary: String?
        var description: String?
        var kmsKeyId: String?

        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
            case clientRequestToken = "ClientRequestToken"
            case secretString = "SecretString"
            case secretBinary = "SecretBinary"
            case description = "Description"
            case kmsKeyId = "KmsKeyId"
        }
    }

    /// Changes a secret's description, KMS key and/or value. A new value makes a new version,
    /// idempotent per `taskID`.
    public func updateSecret(
        name: String,
        value: SecretValue? = nil,
        description: String? = nil,
        kmsKeyId: String? = nil,
        taskID: String,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<UpdateSecretOutput> {
        let fullName = try namespace.fullName(for: name)
        try value?.validateSize()
        let (string, binary) = value?.wireFields ?? (nil, nil)
        let request = UpdateSecretRequest(
            secretId: fullName,
            // Always sent, as the AWS SDKs do (it is an idempotency token in the API model);
            // without a new value AWS creates no version and the token has no effect.
            clientRequestToken: try IdempotencyToken.derive(taskID: taskID, operation: "UpdateSecret", secret: fullName),
            secretString: string,
            secretBinary: binary,
            description: description,
            kmsKeyId: kmsKeyId
        )
        return try await perform("UpdateSecret", request, as: UpdateSecretOutput.self, value: value, logger: logger)
    }
}
