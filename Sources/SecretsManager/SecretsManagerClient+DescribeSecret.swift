import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct DescribeSecretOutput: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var description: String?
        public var kmsKeyId: String?
        public var rotationEnabled: Bool?
        public var lastChangedDate: Date?
        public var deletedDate: Date?
        public var tags: [SecretTag]?
        public var versionIdsToStages: [String: [String]]?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case description = "Description"
            case kmsKeyId = "KmsKeyId"
            case rotationEnabled = "RotationEnabled"
            case lastChangedDate = "LastChangedDate"
            case deletedDate = "DeletedDate"
            case tags = "Tags"
            case versionIdsToStages = "VersionIdsToStages"
        }
    }

    struct SecretIdRequest: Encodable {
        var secretId: String

        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
        }
    }

    /// Reads a secret's metadata (never its value).
    public func describeSecret(name: String, logger: Logger) async throws(AWSError) -> SecretsManagerResponse<DescribeSecretOutput> {
        let request = SecretIdRequest(secretId: try namespace.fullName(for: name, allowManaged: true))
        return try await perform("DescribeSecret", request, as: DescribeSecretOutput.self, logger: logger)
    }
}
