import HTTP
import Testing

@testable import AWSCore

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 3)

    static let retried: [(String, Int)] = [
        ("ThrottlingException", 400), ("TooManyRequestsException", 400), ("RequestLimitExceeded", 400),
        ("Throttling", 400), ("InternalServiceError", 500), ("UnknownError", 503), ("Whatever", 502),
        // SQS, when KMS throttles an SSE-KMS queue's data keys: it passes, as the README says.
        ("KmsThrottled", 400), ("KMS.ThrottlingException", 400),
    ]

    static let neverRetried: [(String, Int)] = [
        ("AccessDeniedException", 400), ("ResourceNotFoundException", 400), ("ValidationException", 400),
        ("InvalidParameterException", 400), ("InvalidRequestException", 400), ("ResourceExistsException", 400),
        ("SignatureDoesNotMatch", 403), ("LimitExceededException", 400),
    ]

    @Test(arguments: retried)
    func retriesThrottlingAndServerErrors(code: String, status: Int) {
        let error = AWSError(kind: .service, code: AWSError.Code(rawValue: code), message: "", httpStatus: status)
        #expect(policy.classify(error) != nil)
    }

    /// The codes AWS's standard retry mode takes as throttling and as transient, each at a 4xx
    /// status (so the code, not a 5xx, decides), classed as it does: trimmed, a producer would be
    /// told a passing failure was for good (`retryable`), and the call not tried again.
    @Test func awsStandardRetryCodesAreClassedAsTheSDKsClassThem() {
        let throttling = [
            "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
            "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
            "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "EC2ThrottledException",
        ]
        let transient = [
            "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "InternalFailure",
            "InternalServiceError", "ServiceUnavailable",
        ]
        func classed(_ code: String) -> RetryPolicy.FailureClass? {
            policy.classify(AWSError(kind: .service, code: AWSError.Code(rawValue: code), message: "", httpStatus: 400))
        }
        for code in throttling { #expect(classed(code) == .throttling, "\(code)") }
        for code in transient { #expect(classed(code) == .transient, "\(code)") }
    }

    @Test(arguments: neverRetried)
    func neverRetriesClientErrors(code: String, status: Int) {
        let error = AWSError(kind: .service, code: AWSError.Code(rawValue: code), message: "", httpStatus: status)
        #expect(policy.classify(error) == nil)
    }

    @Test func transportFailuresAreRetriedButNotCertificatesOrOversize() {
        func transport(_ code: HTTPClientError.Code) -> AWSError {
            AWSError(
                kind: .transport, code: .endpointUnreachable, message: "",
                transportError: HTTPClientError(code: code, message: ""))
        }
        #expect(policy.classify(transport(.couldNotConnect)) == .transient)
        #expect(policy.classify(transport(.timedOut)) == .timeout)
        #expect(policy.classify(transport(.tlsFailure)) == nil)
        // A handshake cut short (curl 35) is retried; other TLS failures (a certificate that does not verify) are not.
        #expect(policy.classify(transport(.tlsHandshakeFailed)) == .transient)
        #expect(policy.classify(transport(.responseTooLarge)) == nil)
        #expect(policy.classify(AWSError.credentials("no")) == nil)
        #expect(policy.classify(AWSError.validation(.invalidTask, "no")) == nil)
    }

    @Test func backoffIsFullJitterExponentialCappedAt20Seconds() {
        #expect(policy.backoff(afterAttempt: 1, random: 1) == .seconds(1))
        #expect(policy.backoff(afterAttempt: 2, random: 1) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 3, random: 0.5) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 6, random: 1) == .seconds(20))
        #expect(policy.backoff(afterAttempt: 60, random: 1) == .seconds(20))
        #expect(policy.backoff(afterAttempt: 4, random: 0) == .zero)
    }
}

@Suite struct RetryTokenBucketTests {
    @Test func retriesCostFiveOrTenAndSuccessRefunds() {
        let bucket = RetryTokenBucket(capacity: 500)
        #expect(bucket.acquire(for: .throttling) == 5)
        #expect(bucket.acquire(for: .timeout) == 10)
        #expect(bucket.available == 485)
        bucket.release(15)
        #expect(bucket.available == 500)
        bucket.release(1)
        #expect(bucket.available == 500, "never above capacity")
    }

    @Test func emptyBudgetRefusesRetries() {
        let bucket = RetryTokenBucket(capacity: 12)
        #expect(bucket.acquire(for: .transient) == 5)
        #expect(bucket.acquire(for: .transient) == 5)
        #expect(bucket.acquire(for: .transient) == nil)
        #expect(bucket.acquire(for: .timeout) == nil)
    }
}
