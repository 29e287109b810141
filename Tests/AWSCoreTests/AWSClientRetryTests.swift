@testable import AWSCore
import Foundation
import HTTP
import Logging
import SigV4
import Synchronization
import TestSupport
import Testing

/// The retry loop against a tiny local server that fails the first N calls.
@Suite struct AWSClientRetryTests {
    let credentials = StaticCredentialProvider(Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))

    func client(_ server: LoopbackHTTPServer, maxAttempts: Int = 3, sleeper: RecordingSleeper, clock: any WallClock = SystemWallClock()) throws -> AWSClient {
        AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: server.baseURL),
            options: .patient(maxAttempts: maxAttempts),
            httpClient: try CurlHTTPClient(configuration: .init(environment: [:]), logger: Logger(label: "test")),
            clock: clock,
            sleeper: sleeper,
            jitter: { 1.0 }
        )
    }

    /// A client of `url` with the default options but `maxAttempts`, and no sleeping.
    func client(url: String, maxAttempts: Int) throws -> AWSClient {
        AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: url),
            options: AWSClientOptions(maxAttempts: maxAttempts),
            httpClient: try CurlHTTPClient(configuration: .init(environment: [:]), logger: Logger(label: "test")),
            sleeper: RecordingSleeper())
    }

    static func failing(_ failures: Int, with response: @escaping @Sendable () -> ScriptedResponse) -> @Sendable (RecordedRequest) -> ScriptedResponse {
        let count = Counter()
        return { _ in
            count.increment() <= failures ? response() : ScriptedResponse(status: 200, headers: ["x-amzn-RequestId": "ok-1"], body: "{}")
        }
    }

    static let throttled = ScriptedResponse(
        status: 400, headers: ["x-amzn-ErrorType": "ThrottlingException", "x-amzn-RequestId": "throttled"], body: #"{"message":"Rate exceeded"}"#)
    static let unavailable = ScriptedResponse(status: 503, body: "busy")

    @Test(arguments: [("throttling", throttled), ("5xx", unavailable)])
    func failuresAreRetriedWithExponentialBackoff(kind: String, failure: ScriptedResponse) async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(2) { failure })
        defer { server.stop() }
        let sleeper = RecordingSleeper()
        let aws = try client(server, sleeper: sleeper)
        let response = try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        #expect(response.attempts == 3)
        #expect(response.requestId == "ok-1")
        #expect(server.requestsServed == 3)
        #expect(sleeper.delays.withLock { $0 } == [.seconds(1), .seconds(2)])
        // As in AWS's standard retry mode, a success gives back what its last retry cost, not
        // every retry's: calls that succeed only after retries still drain the budget.
        #expect(
            aws.retryBucket.available == RetryTokenBucket.defaultCapacity - RetryTokenBucket.retryCost,
            "a success after two retries gives back the last one's cost")
    }

    /// Whether an attempt may have reached the service is kept to the end of the call, whatever
    /// ends it: a 503, then credentials that cannot be had for the next attempt, is still a call
    /// that may have been acted on; a 400 refused at every attempt, and a port that refuses every
    /// connection, are calls that were not.
    @Test func whetherAnAttemptMayHaveArrivedOutlivesALaterFailure() async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(100) { Self.unavailable })
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 3, sleeper: RecordingSleeper())
        let call = AWSCall.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8))
        let afterA503 = await #expect(throws: AWSError.self) {
            try await aws.send(call, credentials: FailingAfterFirstProvider(), logger: Logger(label: "test"))
        }
        #expect(afterA503?.code == .credentialsUnavailable, "\(String(describing: afterA503))")
        #expect(afterA503?.anAttemptMayHaveArrived == true)
        let refused = try LoopbackHTTPServer(handler: Self.failing(100) { Self.throttled })
        defer { refused.stop() }
        let throttled = await #expect(throws: AWSError.self) {
            try await client(refused, maxAttempts: 2, sleeper: RecordingSleeper()).send(
                call, credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(throttled?.attempts == 2)
        #expect(throttled?.anAttemptMayHaveArrived == false)
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let unreachable = await #expect(throws: AWSError.self) {
            try await client(url: "http://127.0.0.1:\(closed.port)", maxAttempts: 2).send(
                call, credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(unreachable?.code == .endpointUnreachable)
        #expect(unreachable?.anAttemptMayHaveArrived == false)
        // Credentials whose own source's call may have arrived (an STS 5xx): this call sent nothing.
        let stsFailed = await #expect(throws: AWSError.self) {
            try await client(server, maxAttempts: 3, sleeper: RecordingSleeper()).send(
                call, credentials: STSFailedProvider(), logger: Logger(label: "test"))
        }
        #expect(stsFailed?.whileObtainingCredentials == true)
        #expect(stsFailed?.anAttemptMayHaveArrived == false)
    }

    @Test func attemptsStopAtMaxAttempts() async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(100) { Self.throttled })
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 3, sleeper: RecordingSleeper())
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.code == AWSError.Code(rawValue: "ThrottlingException"))
        #expect(error?.retryable == true)
        #expect(error?.attempts == 3)
        #expect(error?.requestId == "throttled")
        #expect(server.requestsServed == 3)
    }

    /// No retry whose backoff would end past the task's deadline: the failure AWS gave is
    /// reported (its code and request id), not cut off later as a DeadlineExceeded, and the
    /// retry budget keeps what the skipped retry would have cost. A deadline the backoffs stay
    /// well within changes nothing. (The first backoff with this jitter is 1 s: it always ends
    /// past a deadline half a second away, however slow the machine.)
    @Test func noRetryEndsPastTheTasksDeadline() async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(100) { Self.throttled })
        defer { server.stop() }
        func send(_ aws: AWSClient, within remaining: Duration) async -> AWSError? {
            await #expect(throws: AWSError.self) {
                try await AWSCallDeadline.$current.withValue(SuspendingClock.now + remaining) {
                    try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
                }
            }
        }
        let sleeper = RecordingSleeper()
        let aws = try client(server, maxAttempts: 3, sleeper: sleeper)
        let near = await send(aws, within: .milliseconds(500))
        #expect(near?.code == AWSError.Code(rawValue: "ThrottlingException"))
        #expect(near?.requestId == "throttled")
        #expect(near?.attempts == 1)
        #expect(server.requestsServed == 1)
        #expect(sleeper.delays.withLock { $0 } == [])
        #expect(aws.retryBucket.available == RetryTokenBucket.defaultCapacity)

        let far = await send(aws, within: .seconds(3_600))
        #expect(far?.attempts == 3)
        #expect(sleeper.delays.withLock { $0 } == [.seconds(1), .seconds(2)])
    }

    /// Nor a retry whose backoff ends before the deadline with too little time left for an
    /// attempt as long as the one that failed (here 400 ms, with 1.6 s left: the backoff of 1 s
    /// would end in time, the attempt after it not).
    @Test func noRetryIsMadeThatOnlyTheDeadlineCouldEnd() async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(100) {
            usleep(400_000)
            return Self.throttled
        })
        defer { server.stop() }
        let sleeper = RecordingSleeper()
        let aws = try client(server, maxAttempts: 3, sleeper: sleeper)
        let error = await #expect(throws: AWSError.self) {
            try await AWSCallDeadline.$current.withValue(SuspendingClock.now + .milliseconds(1_600)) {
                try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
            }
        }
        #expect(error?.code == AWSError.Code(rawValue: "ThrottlingException"))
        #expect(error?.attempts == 1)
        #expect(server.requestsServed == 1)
        #expect(sleeper.delays.withLock { $0 } == [])
    }

    /// Signing again after a clock skew, or after refreshing expired credentials, follows the
    /// same rule: no attempt that only the deadline could end (here 400 ms each, 600 ms left).
    /// AWS's answer is reported instead, retryable; the skew is learned all the same.
    @Test(arguments: ["RequestTimeTooSkewed", "ExpiredTokenException"])
    func noSigningAgainThatOnlyTheDeadlineCouldEnd(_ code: String) async throws {
        let credentials = RenewingProvider()
        let server = try LoopbackHTTPServer(handler: Self.failing(100) {
            usleep(400_000)
            return ScriptedResponse(
                status: 400,
                headers: ["x-amzn-ErrorType": code, "Date": imfFixdate(Date().addingTimeInterval(3600))],
                body: #"{"message":"refused"}"#)
        })
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 3, sleeper: RecordingSleeper())
        let error = await #expect(throws: AWSError.self) {
            try await AWSCallDeadline.$current.withValue(SuspendingClock.now + .milliseconds(600)) {
                try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
            }
        }
        #expect(error?.code == AWSError.Code(rawValue: code))
        #expect(error?.attempts == 1)
        // A rerun would sign with the time learned, or with fresh credentials: worth making.
        #expect(error?.retryable == true)
        #expect(server.requestsServed == 1)
        if code == "RequestTimeTooSkewed" { #expect(aws.clockSkew.currentOffset > 3000) }
    }

    /// Fixed credentials refused as expired (an access key's token, the environment's) come back
    /// the same: not tried again, and not retryable, with a deadline or without (a rerun would be
    /// refused alike until they are replaced outside the delegate).
    @Test(arguments: [true, false])
    func expiredFixedCredentialsAreNotRetryable(underADeadline: Bool) async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(100) {
            ScriptedResponse(status: 400, headers: ["x-amzn-ErrorType": "ExpiredTokenException"], body: #"{"message":"expired"}"#)
        })
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 3, sleeper: RecordingSleeper())
        let deadline = SuspendingClock.now + (underADeadline ? .milliseconds(600) : .seconds(3600))
        let error = await #expect(throws: AWSError.self) {
            try await AWSCallDeadline.$current.withValue(deadline) {
                try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
            }
        }
        #expect(error?.code == .expiredTokenException)
        #expect(error?.retryable == false)
        #expect(error?.attempts == 1)
        #expect(server.requestsServed == 1)
    }

    @Test func accessDeniedIsNeverRetried() async throws {
        let denied = ScriptedResponse(status: 400, headers: ["x-amzn-ErrorType": "AccessDeniedException"], body: #"{"message":"no"}"#)
        let server = try LoopbackHTTPServer(handler: Self.failing(100) { denied })
        defer { server.stop() }
        let aws = try client(server, sleeper: RecordingSleeper())
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "GetSecretValue", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.code == .accessDeniedException)
        #expect(server.requestsServed == 1)
    }

    /// A 5xx the standard retry mode does not retry (a proxy's 501 Not Implemented, 505, 511),
    /// with no error code of its own, is reported once as `UnknownError`, not retried as an
    /// `InternalFailure` would be; a bare 502 still is.
    @Test(arguments: [(501, false), (505, false), (511, false), (502, true)])
    func onlyTheRetriedStatusesAreRetriedWithoutACode(status: Int, retried: Bool) async throws {
        let failure = ScriptedResponse(status: status, headers: ["Content-Type": "text/html"], body: "<html>no</html>")
        let server = try LoopbackHTTPServer(handler: Self.failing(100) { failure })
        defer { server.stop() }
        let sleeper = RecordingSleeper()
        let aws = try client(server, maxAttempts: 3, sleeper: sleeper)
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "GetSecretValue", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.httpStatus == status)
        #expect(error?.code == (retried ? .internalFailure : .unknownError))
        #expect(error?.retryable == retried)
        #expect(error?.attempts == (retried ? 3 : 1))
        #expect(server.requestsServed == (retried ? 3 : 1))
        #expect(sleeper.delays.withLock { $0 }.count == (retried ? 2 : 0))
    }

    @Test func anEmptyRetryBudgetStopsRetrying() async throws {
        let server = try LoopbackHTTPServer(handler: Self.failing(1000) { Self.unavailable })
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 3, sleeper: RecordingSleeper())
        // 500 tokens pay for 100 retries at 5 each; after that every call fails on its first attempt.
        for _ in 0..<60 {
            _ = try? await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(server.requestsServed == 160)
        #expect(aws.retryBucket.available < RetryTokenBucket.retryCost)
    }

    @Test func connectionFailuresAreReportedAsEndpointUnreachable() async throws {
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let port = closed.port
        let aws = try client(url: "http://127.0.0.1:\(port)", maxAttempts: 2)
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.code == .endpointUnreachable, "\(String(describing: error))")
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 2)
        #expect(error?.retryable == true)
    }

    /// An endpoint whose certificate does not verify (here self-signed; on a host, a proxy that
    /// intercepts TLS with a CA of its own) is reached but not trusted: the message says so and
    /// where the fix goes, and it is not retried.
    @Test func aRefusedCertificateSaysWhereTheFixGoes() async throws {
        let server = try OpenSSLTestServer()
        defer { server.stop() }
        let aws = try client(url: server.baseURL, maxAttempts: 3)
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.code == .endpointUnreachable)
        #expect(error?.message.contains("its TLS certificate was refused") == true, "\(String(describing: error))")
        #expect(error?.message.contains("update-ca-certificates") == true)
        #expect(error?.attempts == 1, "a certificate that does not verify is not retried")

        // Without CA certificates to check it with (a host without ca-certificates), the message
        // points at this host, not at the certificate.
        let noBundle = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: server.baseURL),
            options: AWSClientOptions(maxAttempts: 3),
            httpClient: try CurlHTTPClient(
                configuration: .init(environment: [:], caFile: "/nonexistent/ca-certificates.crt"), logger: Logger(label: "test")),
            sleeper: RecordingSleeper())
        let unreadable = await #expect(throws: AWSError.self) {
            try await noBundle.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(unreadable?.message.contains("this host's CA certificates could not be read") == true, "\(String(describing: unreadable))")
        #expect(unreadable?.message.contains("certificate was refused") == false)
    }

    /// An endpoint whose port speaks another protocol (a typo'd port, or `http://` for a TLS
    /// port) answers something that is no HTTP: reported as such, once, not retried as an
    /// unreachable endpoint.
    @Test func anAnswerThatIsNotHTTPIsNamedAndNotRetried() async throws {
        let server = try #require(LoopbackNotHTTPServer())
        defer { server.stop() }
        let aws = try client(url: server.baseURL, maxAttempts: 3)
        let error = await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(error?.code == .invalidResponse, "\(String(describing: error))")
        #expect(error?.message.contains("something other than HTTP") == true, "\(String(describing: error))")
        #expect(error?.retryable == false)
        #expect(error?.attempts == 1)
        #expect(server.connectionsServed == 1)
    }

    /// A server whose clock is an hour ahead refuses the first signature as skewed; the client
    /// learns the offset from `Date`, signs again with AWS's time and succeeds.
    @Test func clockSkewIsCorrectedFromTheDateHeader() async throws {
        let serverNow = Date().addingTimeInterval(3600)
        let dateHeader = imfFixdate(serverNow)
        let amzDates = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            let amzDate = request.headers["X-Amz-Date"] ?? ""
            let seen = amzDates.withLock { $0.append(amzDate); return $0.count }
            if seen == 1 {
                return ScriptedResponse(
                    status: 400, headers: ["x-amzn-ErrorType": "InvalidSignatureException", "Date": dateHeader],
                    body: #"{"message":"Signature expired"}"#)
            }
            return ScriptedResponse(status: 200, body: "{}")
        }
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 1, sleeper: RecordingSleeper())
        let response = try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        #expect(response.status == 200)
        let dates = amzDates.withLock { $0 }
        #expect(dates.count == 2)
        #expect(dates[1].hasPrefix(Self.amzDatePrefix(serverNow)), "the second attempt is signed with the server's time")
        // About an hour: the response's Date, less the (load-dependent) time the exchange took.
        #expect(abs(aws.clockSkew.currentOffset - 3600) < 300)
    }

    /// Requests in flight together when the skew is first learned are each refused as skewed:
    /// every one is signed again with AWS's time, not only the one whose answer came first. The
    /// server, an hour ahead, refuses what is not signed within 5 minutes of its time, slowly, so
    /// that all four are signed before the first answer.
    @Test func requestsRefusedTogetherForSkewAreEachSignedAgain() async throws {
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let server = try LoopbackHTTPServer { request in
            let serverNow = Date().addingTimeInterval(3600)
            let signed = parser.date(from: request.headers["X-Amz-Date"] ?? "") ?? .distantPast
            if abs(signed.timeIntervalSince(serverNow)) < 300 { return ScriptedResponse(status: 200, body: "{}") }
            return ScriptedResponse(
                status: 400, headers: ["x-amzn-ErrorType": "InvalidSignatureException", "Date": imfFixdate(serverNow)],
                body: #"{"message":"Signature expired"}"#, delay: .milliseconds(500))
        }
        defer { server.stop() }
        let aws = try client(server, maxAttempts: 1, sleeper: RecordingSleeper())
        let call = AWSCall.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { try await aws.send(call, credentials: credentials, logger: Logger(label: "test")).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [200, 200, 200, 200])
        #expect(server.requestsServed == 8)
    }

    @Test func aSignatureErrorWithoutSkewIsNotRetried() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 403, headers: ["x-amzn-ErrorType": "InvalidSignatureException", "Date": imfFixdate(Date())], body: #"{"message":"bad signature"}"#)
        }
        defer { server.stop() }
        let aws = try client(server, sleeper: RecordingSleeper())
        await #expect(throws: AWSError.self) {
            try await aws.send(.json(targetPrefix: "secretsmanager", operation: "ListSecrets", body: Data("{}".utf8)), credentials: credentials, logger: Logger(label: "test"))
        }
        #expect(server.requestsServed == 1)
    }

    static func amzDatePrefix(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HH"
        return formatter.string(from: date)
    }
}

/// Credentials a refresh would renew: the same pair served, but `invalidate` says the next call
/// may serve others (as a cache does).
struct RenewingProvider: CredentialProvider {
    func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        Credentials(accessKeyId: "ASIARENEWING", secretAccessKey: "renewing-secret", sessionToken: "renewing-token")
    }

    func invalidate(accessKeyID: String) async -> Bool { true }
}

/// Credentials that cannot be had because STS answered 5xx: its error says an attempt (STS's)
/// may have arrived.
struct STSFailedProvider: CredentialProvider {
    func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        var error = AWSError.credentials("STS answered 503")
        error.anAttemptMayHaveArrived = true
        throw error
    }
}

/// Credentials once, then none: a refresh that fails before the second attempt.
final class FailingAfterFirstProvider: CredentialProvider {
    private let calls = Mutex(0)

    func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        guard calls.withLock({ $0 += 1; return $0 }) == 1 else { throw AWSError.credentials("no credentials now") }
        return Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    func invalidate(accessKeyID: String) async -> Bool { false }
}
