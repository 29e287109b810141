import AWSCore
import Foundation
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
    }

    struct SecretIdRequest: Encodable {
        var secretId: String
    }

    /// Reads a secret's metadata (never its value).
    public func describeSecret(name: String, logger: Logger) async throws(AWSError) -> SecretsManagerResponse<DescribeSecretOutput> {
        let request = SecretIdRequest(secretId: try namespace.fullName(for: name))
        return try await perform("DescribeSecret", request, as: DescribeSecretOutput.self, logger: logger)
    }
}
