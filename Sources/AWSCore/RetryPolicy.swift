import HTTP
/// AWS's *standard* retry mode: which failures to retry and how long to wait between attempts.
///
/// Retried: throttling codes, transient codes, HTTP 500/502/503/504 and transport failures
/// (connection trouble, timeouts). Never retried: anything else, notably
/// `AccessDeniedException`, `ResourceNotFoundException` and validation errors.
public struct RetryPolicy: Sendable, Equatable {
    public enum FailureClass: Sendable, Equatable {
        case throttling
        case transient
        case timeout
    }

    public var maxAttempts: Int
    public var maxBackoff: Duration
    public var baseDelay: Duration

    public init(maxAttempts: Int = 3, maxBackoff: Duration = .seconds(20), baseDelay: Duration = .seconds(1)) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxBackoff = maxBackoff
        self.baseDelay = baseDelay
    }

    public static let throttlingCodes = AWSError.Code.set(
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
        "EC2ThrottledException",
        // SQS on an SSE-KMS queue when KMS throttles its data-key calls (AWS JSON, then query).
        "KmsThrottled", "KMS.ThrottlingException"
    )

    public static let transientCodes = AWSError.Code.set(
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError",
        "InternalFailure", "InternalServiceError", "ServiceUnavailable"
    )

    public static let transientStatuses: Set<Int> = [500, 502, 503, 504]

    /// The class of a failure, or nil when it must not be retried.
    public func classify(_ error: AWSError) -> FailureClass? {
        switch error.kind {
        case .transport:
            guard let transport = error.transportError, transport.isTransient else { return nil }
            return transport.isTimeout ? .timeout : .transient
        case .service:
            if Self.throttlingCodes.contains(error.code) { return .throttling }
            if Self.transientCodes.contains(error.code) { return .transient }
            if let status = error.httpStatus, Self.transientStatuses.contains(status) { return .transient }
            return nil
        case .credentials, .validation, .invalidResponse:
            return nil
        }
    }

    /// Full-jitter exponential backoff: `random × min(base × 2^(attempt-1), maxBackoff)`.
    /// - Parameters:
    ///   - attempt: the attempt that just failed, starting at 1.
    ///   - random: a number in `0..<1`.
    public func backoff(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maxBackoff)
        return ceiling * min(max(random, 0), 1)
    }
}
