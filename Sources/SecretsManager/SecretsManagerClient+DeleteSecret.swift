import AWSCore
import SafeText
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

        /// Days between the deletion's request and the deletion.
        var windowDays: Int {
            switch self {
            case .defaultWindow: 30
            case .days(let days): days
            case .none: 0
            }
        }
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
    /// done, with the date it was scheduled for. Only a deletion made while this call ran counts:
    /// one scheduled by someone else before is the refusal it is.
    ///
    /// - Parameter earlierRunSince: when an earlier run of the same task may have made its calls
    ///   (by this host's clock or AWS's): a task run again after a crash or a stop cut it off, its
    ///   result never given. Its first attempt refused so is confirmed as well, a deletion made since
    ///   then counting as the task's own.
    public func deleteSecret(
        name: String,
        recovery: DeletionRecovery = .defaultWindow,
        earlierRunSince: ClockTime? = nil,
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
        let started = ContinuousClock.now
        do {
            // Each attempt on a connection of its own: libcurl's own resend on a kept connection
            // would be a second request this count of attempts never sees, its refusal then
            // taken for the first's.
            return try await perform("DeleteSecret", request, as: DeleteSecretOutput.self, oncePerAttempt: true, logger: logger)
        } catch where (error.attempts > 1 || earlierRunSince != nil) && error.code == .invalidRequestException
            && recovery != .none
        {
            // The call's span in AWS's time: its end as the client reckons AWS's time now, and
            // its length measured on the monotonic clock. (AWS's time read at the start could be
            // off by a skew learned only during the call, an hour on a slow host: a deletion
            // someone else made before the call would then pass for this call's.)
            let ended = aws.serverTime()
            let span = ContinuousClock.now - started
            var begun = ended.addingTimeInterval(-(span / .seconds(1)))
            if let earlierRunSince { begun = min(begun, aws.serverTime(of: earlierRunSince)) }
            // The refusal, its attempts counting the DescribeSecret requests made to check it too.
            var refusal = error
            let scheduled: SecretsManagerResponse<DescribeSecretOutput>
            do {
                scheduled = try await describeSecret(name: name, logger: logger)
            } catch var describing where describing.code == .cancelled {
                // A deadline or a stop: the caller says the deletion may have been made (its
                // attempts count the DeleteSecret requests, which is what tells it so).
                describing.attempts += refusal.attempts
                throw describing
            } catch {
                refusal.attempts += error.attempts
                throw refusal
            }
            guard let deletedDate = scheduled.value.deletedDate,
                let deletionDate = Self.deletionDate(
                    deletedDate: deletedDate, windowDays: recovery.windowDays, madeWithin: begun...ended)
            else {
                refusal.attempts += scheduled.attempts
                // Not marked deleted within the call's span: none of its attempts made the
                // deletion, whatever became of their answers (the caller would say it may have).
                refusal.anAttemptMayHaveArrived = false
                throw refusal
            }
            logger.notice(
                error.attempts > 1
                    ? "DeleteSecret was retried and refused because the secret is marked deleted: an earlier attempt scheduled its deletion"
                    : "DeleteSecret was refused because the secret is marked deleted, since an earlier run of the task: that run scheduled its deletion",
                // The name as DescribeSecret gave it, bounded as names are (an endpoint may send anything).
                metadata: ["secret_name": "\(ShownText.prefix(scheduled.value.name, bytes: SecretReference.maximumNameLength))"])
            return SecretsManagerResponse(
                value: DeleteSecretOutput(arn: scheduled.value.arn, name: scheduled.value.name, deletionDate: deletionDate),
                requestId: scheduled.requestId, attempts: error.attempts + scheduled.attempts)
        }
    }

    /// The date a deletion is scheduled for, from `DescribeSecret`'s `DeletedDate`, if that is
    /// the mark of a deletion made within `call` (in AWS's time): either the time of the request
    /// (the deletion is then `windowDays` later) or the date it is scheduled for. Five minutes
    /// either side cover the clocks' difference; any other date is a deletion made by someone
    /// else, before.
    static func deletionDate(deletedDate: Date, windowDays: Int, madeWithin call: ClosedRange<Date>) -> Date? {
        let slack: TimeInterval = 5 * 60
        let window = TimeInterval(windowDays) * 86_400
        let requested = call.lowerBound.addingTimeInterval(-slack)...call.upperBound.addingTimeInterval(slack)
        if requested.contains(deletedDate) { return deletedDate.addingTimeInterval(window) }
        if requested.contains(deletedDate.addingTimeInterval(-window)) { return deletedDate }
        return nil
    }
}
