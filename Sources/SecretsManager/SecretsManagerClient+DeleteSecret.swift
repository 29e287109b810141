import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    /// How a deletion may be undone.
    public enum DeletionRecovery: Sendable, Equatable {
        /// AWS's default recovery window (30 days).
        case defaultWindow
        /// A recovery window of 7-30 days.
        case days(Int)
        /// Deleted at once, without recovery.
        case none
    }

    public struct DeleteSecretOutput: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var deletionDate: Date?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case deletionDate = "DeletionDate"
        }
    }

    struct DeleteSecretRequest: Encodable {
        var secretId: String
        var recoveryWindowInDays: Int?
        var forceDeleteWithoutRecovery: Bool?

        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
            case recoveryWindowInDays = "RecoveryWindowInDays"
            case forceDeleteWithoutRecovery = "ForceDeleteWithoutRecovery"
        }
    }

    /// Schedules a secret's deletion, or deletes it at once with `.none`.
    public func deleteSecret(
        name: String,
        recovery: DeletionRecovery = .defaultWindow,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<DeleteSecretOutput> {
        var request = DeleteSecretRequest(secretId: try namespace.fullName(for: name))
        switch recovery {
        case .defaultWindow:
            break
        case .days(let days):
            guard (7...30).contains(days) else {
                throw AWSError.validation(.invalidTask, "recoveryWindowInDays must be 7-30, not \(days)")
            }
            request.recoveryWindowInDays = days
        case .none:
            request.forceDeleteWithoutRecovery = true
        }
        return try await perform("DeleteSecret", request, as: DeleteSecretOutput.self, logger: logger)
    }
}
