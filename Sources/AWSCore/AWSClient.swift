import FoundationEssentials
import HTTP
import Logging
import SigV4

/// Sends signed calls to one AWS service endpoint, with AWS's standard retry mode, clock-skew
/// correction and error decoding.
///
/// One client per endpoint (service and region) is meant to be shared by every task that uses
/// it: its retry budget and learned clock skew are per endpoint, like the SDKs'.
public final class AWSClient: Sendable {
    public let endpoint: AWSServiceEndpoint
    public let options: AWSClientOptions
    private let retryPolicy: RetryPolicy
    let retryBucket: RetryTokenBucket
    public let clockSkew: ClockSkewCorrector

    private let http: any HTTPClient
    private let clock: any WallClock
    private let sleeper: any Sleeper
    private let jitter: @Sendable () -> Double
    private let keyCache: SigningKeyCache

    public init(
        endpoint: AWSServiceEndpoint,
        options: AWSClientOptions = AWSClientOptions(),
        httpClient: any HTTPClient,
        clock: any WallClock = SystemWallClock(),
        sleeper: any Sleeper = ClockSleeper(),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        keyCache: SigningKeyCache = SigningKeyCache()
    ) {
        self.endpoint = endpoint
        self.options = options
        self.retryPolicy = RetryPolicy(maxAttempts: options.maxAttempts)
        self.retryBucket = RetryTokenBucket()
        self.clockSkew = ClockSkewCorrector()
        self.http = httpClient
        self.clock = clock
        self.sleeper = sleeper
        self.jitter = jitter
        self.keyCache = keyCache
    }

    /// The time by AWS's clock as far as this client knows it: the local clock corrected by the
    /// skew learned from refused requests.
    public func serverTime() -> Date {
        serverTime(of: clock.now())
    }

    /// `local`, a time by this host's clock, by AWS's clock as far as this client knows it.
    public func serverTime(of local: Date) -> Date {
        local.addingTimeInterval(clockSkew.currentOffset)
    }

    /// Signs and sends `call`, retrying as the standard retry mode allows.
    ///
    /// Credentials are asked of `credentials` for every attempt, so a refresh between attempts is
    /// picked up. Errors carry the number of attempts made, and whether any of them may have
    /// reached the service (``AWSError/anAttemptMayHaveArrived``), whatever ended the call: an
    /// attempt that timed out, then a refresh of credentials that failed before the next, may
    /// still have been acted on.
    public func send(
        _ call: AWSCall,
        credentials provider: any CredentialProvider,
        logger: Logger
    ) async throws(AWSError) -> AWSResponse {
        var mayHaveArrived = false
        do throws(AWSError) {
            return try await attempts(call, credentials: provider, logger: logger, mayHaveArrived: &mayHaveArrived)
        } catch {
            var failure = error
            failure.anAttemptMayHaveArrived = failure.anAttemptMayHaveArrived || mayHaveArrived
            throw failure
        }
    }

    /// ``send(_:credentials:logger:)``'s attempts; `mayHaveArrived` is set once an attempt that
    /// failed may have reached the service (``mayHaveArrived(_:)``).
    private func attempts(
        _ call: AWSCall, credentials provider: any CredentialProvider, logger: Logger, mayHaveArrived: inout Bool
    ) async throws(AWSError) -> AWSResponse {
        var attempt = 0
        // What the last retry took from the budget: a success gives back that much (as the
        // standard retry mode does), so an outage that most calls outlast still drains it.
        var lastRetryCost = 0
        var skewRetryUsed = false
        var expiredRetryUsed = false
        while true {
            attempt += 1
            if Task.isCancelled { throw AWSError.cancelled(attempts: attempt - 1) }
            let credentials = try await resolve(provider, logger: logger, attempts: attempt - 1)
            let skewOffset = clockSkew.currentOffset
            let (request, signature) = try signedRequest(for: call, credentials: credentials, skewOffset: skewOffset)
            // What no message may quote, gathered only when one is judged.
            func secrets() -> [String?] {
                [credentials.secretAccessKey, credentials.sessionToken, signature] + call.sensitiveValues
            }
            // Built only for a failure: a successful call (nearly every one) pays nothing for it.
            func redactor() -> MessageRedactor { MessageRedactor(secrets: secrets()) }

            var failure: AWSError
            var skewLearnedTooLate = false
            let attemptStarted = SuspendingClock.now
            do {
                let response = try await http.execute(request)
                if (200..<300).contains(response.status) {
                    retryBucket.release(lastRetryCost > 0 ? lastRetryCost : RetryTokenBucket.noRetryIncrement)
                    // Dropped, as an error answer's is, when it holds a secret (an endpoint that
                    // echoes): an answer that cannot be read quotes it in the task's error.
                    let requestId = AWSErrorDecoder.requestID(in: response).flatMap { id in
                        MessageRedactor.any(of: secrets(), isIn: id) ? nil : id
                    }
                    return AWSResponse(
                        status: response.status, headers: response.headers, body: response.body, requestId: requestId,
                        attempts: attempt)
                }
                failure = AWSErrorDecoder.decode(response, wireProtocol: call.wireProtocol, redactor: redactor())
                if !skewRetryUsed,
                    clockSkew.adjust(
                        code: failure.code, serverDate: response.headers["Date"], localNow: clock.now(),
                        signedWithOffset: skewOffset)
                {
                    skewRetryUsed = true
                    // Learned either way; signed again only when the attempt can end in time.
                    if Self.anotherAttemptFits(after: attemptStarted) {
                        logger.notice(
                            "clock skew detected; signing again with AWS's time",
                            metadata: ["operation": "\(call.operation)", "error_code": "\(failure.code)"]
                        )
                        continue
                    }
                    // Not signed again for want of time: a rerun signs with the offset learned.
                    skewLearnedTooLate = true
                }
            } catch {
                failure = transportFailure(error)
                failure.message = redactor().redact(failure.message)
            }
            failure.attempts = attempt
            mayHaveArrived = mayHaveArrived || Self.mayHaveArrived(failure)
            if skewLearnedTooLate {
                failure.retryable = true
                throw failure
            }

            if !expiredRetryUsed, [.expiredToken, .expiredTokenException].contains(failure.code) {
                expiredRetryUsed = true
                // Fixed credentials (an access key, the environment's) come back the same: no
                // second attempt, and nothing a rerun could change.
                let renewed = await provider.invalidate(accessKeyID: credentials.accessKeyId)
                if renewed, Self.anotherAttemptFits(after: attemptStarted) {
                    logger.notice(
                        "credentials reported expired; refreshing and trying again",
                        metadata: ["operation": "\(call.operation)", "error_code": "\(failure.code)"]
                    )
                    continue
                }
                // Not tried again: no time left (the refused credentials are dropped, so a rerun
                // fetches fresh ones: retryable), or fixed credentials that would be served again
                // (not retryable).
                failure.retryable = renewed
                throw failure
            }

            guard let failureClass = retryPolicy.classify(failure) else { throw failure }
            failure.retryable = true
            guard attempt < retryPolicy.maxAttempts else { throw failure }
            let delay = retryPolicy.backoff(afterAttempt: attempt, random: jitter())
            // The retry needs about as long as the attempt that failed (a timeout most of all):
            // one that could only be cut off by the deadline is not made.
            let now = SuspendingClock.now
            if let deadline = AWSCallDeadline.current, now + delay + (now - attemptStarted) >= deadline {
                logger.debug(
                    "not retrying AWS call: the backoff and another attempt as long as the last would end past the task's deadline",
                    metadata: [
                        "operation": "\(call.operation)", "attempt": "\(attempt)", "error_code": "\(failure.code)",
                        "delay_ms": "\(delay.milliseconds)",
                    ])
                throw failure
            }
            guard let cost = retryBucket.acquire(for: failureClass) else { throw failure }
            lastRetryCost = cost
            logger.debug(
                "retrying AWS call",
                metadata: [
                    "operation": "\(call.operation)", "attempt": "\(attempt)", "error_code": "\(failure.code)",
                    "aws_request_id": "\(failure.requestId ?? "-")", "delay_ms": "\(delay.milliseconds)",
                ]
            )
            do {
                try await sleeper.sleep(for: delay)
            } catch {
                throw AWSError.cancelled(attempts: attempt)
            }
        }
    }

    /// Whether the attempt that failed with `failure` may have reached the service and been acted
    /// on: not when it was never sent (no connection, no TLS session, a proxy's refusal) or the
    /// service refused it (a 4xx answer).
    static func mayHaveArrived(_ failure: AWSError) -> Bool {
        switch failure.kind {
        case .service: return (failure.httpStatus ?? 500) >= 500
        case .invalidResponse: return true
        case .credentials, .validation: return false
        case .transport: return failure.transportError?.requestMayHaveBeenSent ?? true
        }
    }

    /// Whether an attempt as long as the one that began at `started` would end before the task's
    /// deadline, if it has one. (The retries that sign again after a clock skew or refresh expired
    /// credentials come at once, with no backoff; one that only the deadline could end is not
    /// made, and AWS's answer is reported instead.)
    private static func anotherAttemptFits(after started: SuspendingClock.Instant) -> Bool {
        guard let deadline = AWSCallDeadline.current else { return true }
        let now = SuspendingClock.now
        return now + (now - started) < deadline
    }

    /// Forgets the signing keys derived so far (a reload: replaced or revoked secret keys are
    /// not kept); the next request derives its key again.
    public func forgetSigningKeys() {
        keyCache.removeAll()
    }

    /// How many derived signing keys this client holds (for tests).
    public var signingKeysHeld: Int { keyCache.count }

    private func resolve(
        _ provider: any CredentialProvider,
        logger: Logger,
        attempts: Int
    ) async throws(AWSError) -> Credentials {
        do {
            return try await provider.credentials(logger: logger)
        } catch var error {
            if error.code == .cancelled { throw .cancelled(attempts: attempts) }
            // The caller's own requests, not the credential source's (IMDS, STS): those are shared
            // by every caller waiting on one refresh, and a failure is handed to those coming
            // within a second of it, who sent nothing. Nor did any of this call's own requests
            // reach the service for them (an STS attempt that may have is not this call's).
            error.attempts = attempts
            error.whileObtainingCredentials = true
            error.anAttemptMayHaveArrived = false
            throw error
        }
    }

    private func signedRequest(
        for call: AWSCall, credentials: Credentials, skewOffset: TimeInterval
    ) throws(AWSError) -> (HTTPRequest, String) {
        var headers = call.headers
        // Host, then up to three from signing (date, token, Authorization), then User-Agent.
        headers.reserveCapacity(headers.fields.count + 5)
        headers.replaceOrAdd(name: "Host", value: endpoint.host)
        let signer = SigV4Signer(
            credentials: credentials,
            region: endpoint.region,
            service: endpoint.signingName,
            keyCache: keyCache
        )
        let signingDate = clock.now().addingTimeInterval(skewOffset)
        let signed: SignedRequest
        do {
            signed = try signer.sign(
                SigV4Request(
                    method: "POST",
                    path: endpoint.path,
                    query: "",
                    headers: headers.map { (name: $0.name, value: $0.value) },
                    payload: .data(call.body)
                ),
                date: signingDate
            )
        } catch {
            throw .signing(error)
        }
        for header in signed.headersToAdd {
            headers.replaceOrAdd(name: header.name, value: header.value)
        }
        headers.replaceOrAdd(name: "User-Agent", value: options.userAgent)
        let request = HTTPRequest(
            method: "POST",
            url: endpoint.requestURL,
            headers: headers,
            body: call.body,
            options: HTTPRequestOptions(
                connectTimeout: options.connectTimeout,
                totalTimeout: options.requestTimeout,
                maxResponseBytes: options.maxResponseBytes,
                freshConnection: call.freshConnectionEachAttempt
            )
        )
        return (request, signed.signature)
    }

    private func transportFailure(_ error: HTTPClientError) -> AWSError {
        if error.code == .cancelled {
            return AWSError.cancelled(attempts: 0)
        }
        if let unusable = AWSError.unusableAnswer(
            error, endpoint: endpoint.url, maxResponseBytes: options.maxResponseBytes,
            setting: "the endpoint's", suspect: "a proxy or endpoint that is not AWS?")
        {
            return unusable
        }
        return AWSError(
            kind: .transport,
            code: .endpointUnreachable,
            message: "\(endpoint.url) could not be reached: \(error.message)",
            transportError: error
        )
    }

}
