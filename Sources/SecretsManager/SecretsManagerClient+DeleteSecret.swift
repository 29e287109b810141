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
    ///
    /// `DeleteSecret` takes no idempotency token. When an attempt whose answer was lost had
    /// already scheduled the deletion, the retry is refused (`InvalidRequestException`: the secret
    /// is marked deleted); the deletion is then confirmed with `DescribeSecret` and reported as
    /// done, with the date it was scheduled for.
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
        do {
            return try await perform("DeleteSecret", request, as: DeleteSecretOutput.self, logger: logger)
        } catch where error.attempts > 1 && error.code == Self.invalidRequest && recovery != .none {
            guard let scheduled = try? await describeSecret(name: name, logger: logger),
                let deletionDate = scheduled.value.deletedDate
            else { throw error }
            logger.notice(
                "DeleteSecret was retried and refused because the secret is marked deleted: an earlier attempt scheduled its deletion",
                metadata: ["secret_name": "\(scheduled.value.name)"])
            return SecretsManagerResponse(
                value: DeleteSecretOutput(arn: scheduled.value.arn, name: scheduled.value.name, deletionDate: deletionDate),
                requestId: scheduled.requestId, attempts: error.attempts + scheduled.attempts)
        }
    }

    static let invalidRequest = AWSError.Code(rawValue: "InvalidRequestException")
}
