import AWSCore
@testable import AWSCredentials
import Foundation
import HTTP
import Logging
import SigV4
import Synchronization
import TestSupport
import Testing

/// AssumeRole against a loopback STS stub, for what moto cannot show: the exact request sent,
/// `ExpiredToken` handling and a fixed `Expiration`. The stub refuses any `ExternalId` but
/// `ext-right` with AWS's `AccessDenied` XML (moto enforces the real trust policy too; see
/// `AssumeRoleMotoTests`).
@Suite struct AssumeRoleStubTests {
    let logger = Logger(label: "test.sts-stub")
    static let roleArn = "arn:aws:iam::123456789012:role/sm"
    /// The stub's sessions end a year from the test's run (a fixed date would one day be past,
    /// and the source refuses a session already ended).
    static let farExpiration = Timestamp.format(Date().addingTimeInterval(365 * 86_400))

    /// A stub STS: answers AssumeRole with credentials when `ExternalId` is `ext-right`, with
    /// AWS's `AccessDenied` otherwise; the first `expiredTokens` calls get `ExpiredToken`.
    static func stub(expiredTokens: Int = 0, expiration: String = farExpiration) throws -> LoopbackHTTPServer {
        let expiredLeft = Mutex(expiredTokens)
        return try LoopbackHTTPServer { request in
            let form = Dictionary(
                request.bodyText.split(separator: "&").map { pair -> (String, String) in
                    let parts = pair.split(separator: "=", maxSplits: 1).map {
                        String($0).removingPercentEncoding ?? String($0)
                    }
                    return (parts[0], parts.count > 1 ? parts[1] : "")
                }, uniquingKeysWith: { $1 })
            if expiredLeft.withLock({ left in
                defer { left = max(0, left - 1) }
                return left > 0
            }) {
                return ScriptedResponse(
                    status: 400, body: errorXML("ExpiredToken", "The security token included in the request is expired")
                )
            }
            if let duration = form["DurationSeconds"].flatMap({ Int($0) }), duration > 3600 {
                // As STS answers a chained session (a role assumed with role-session credentials).
                return ScriptedResponse(
                    status: 400,
                    body: errorXML(
                        "ValidationError",
                        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                    ))
            }
            if let external = form["ExternalId"], external.hasPrefix("ext-echo") {
                // An endpoint that quotes what it was sent.
                return ScriptedResponse(
                    status: 400,
                    body: errorXML(
                        "ValidationError", "Value '\(external)' at 'externalId' failed to satisfy constraint"))
            }
            // An endpoint whose session token has a space in it.
            let spaced = form["ExternalId"] == "ext-spaced"
            guard form["Action"] == "AssumeRole", form["ExternalId"] == "ext-right" || spaced else {
                return ScriptedResponse(
                    status: 403,
                    body: errorXML(
                        "AccessDenied",
                        "User: arn:aws:iam::123456789012:user/delegate is not authorized to perform: sts:AssumeRole on resource: \(roleArn)"
                    ))
            }
            return ScriptedResponse(
                status: 200,
                body: """
                    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
                    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/sm/\(form["RoleSessionName"] ?? "")</Arn></AssumedRoleUser>
                    <Credentials><AccessKeyId>ASIASTUB</AccessKeyId><SecretAccessKey>stub-secret</SecretAccessKey>
                    <SessionToken>stub-\(spaced ? " " : "")token</SessionToken><Expiration>\(expiration)</Expiration></Credentials>
                    </AssumeRoleResult><ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata></AssumeRoleResponse>
                    """)
        }
    }

    static func errorXML(_ code: String, _ message: String) -> String {
        """
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>\(code)</Code>\
        <Message>\(message)</Message></Error><RequestId>req-\(code)</RequestId></ErrorResponse>
        """
    }

    func source(
        _ server: LoopbackHTTPServer, externalId: String?, base: any CredentialProvider, durationSeconds: Int = 1800
    ) throws -> AssumeRoleSource {
        let sts = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "sts", region: "eu-west-1", url: server.baseURL),
            options: .patient(), httpClient: try loopbackHTTPClient(), sleeper: RecordingSleeper())
        return try AssumeRoleSource(
            role: AssumeRoleCredentials(
                roleARN: Self.roleArn, externalID: externalId, durationSeconds: durationSeconds),
            delegateName: "web 01/prod",
            base: base, sts: sts)
    }

    /// Sessions of one role for another external ID, duration or region have names of their own
    /// (the status object lists each), which show the external ID only by a digest.
    @Test func theSourceNameTellsSessionsOfOneRoleApart() {
        let role = { (external: String?, duration: Int) in
            AssumeRoleCredentials(roleARN: Self.roleArn, externalID: external, durationSeconds: duration)
        }
        let good = AssumeRoleSource.name(of: role("ext-good", 3600), region: "eu-west-1")
        #expect(good.hasPrefix("assume-role:\(Self.roleArn) (eu-west-1, 3600 s, external id "))
        #expect(!good.contains("ext-good"))
        let names = [
            good, AssumeRoleSource.name(of: role("ext-wrong", 3600), region: "eu-west-1"),
            AssumeRoleSource.name(of: role("ext-good", 900), region: "eu-west-1"),
            AssumeRoleSource.name(of: role("ext-good", 3600), region: "us-east-1"),
            AssumeRoleSource.name(of: role(nil, 3600), region: "eu-west-1"),
        ]
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names.last == "assume-role:\(Self.roleArn) (eu-west-1, 3600 s)")
    }

    /// A session longer than an hour, refused as STS refuses a chained one, says why and what to
    /// give instead, and is not retried.
    @Test func aDurationOverAnHourRefusedSaysRoleChainingCapsIt() async throws {
        let server = try Self.stub()
        let long = try source(
            server, externalId: "ext-right", base: StaticCredentialProvider(fakeCredentials("base")),
            durationSeconds: 7200)
        let error = await #expect(throws: AWSError.self) { try await long.fetch(logger: logger) }
        #expect(error?.code == .validationError)
        #expect(
            error?.message.contains("STS refused durationSeconds 7200 for \(Self.roleArn)") == true,
            "\(error?.message ?? "-")")
        #expect(error?.message.contains("give durationSeconds 3600 or less") == true)
        #expect(error?.retryable == false)
        #expect(server.requestsServed == 1)
    }

    @Test func aWrongExternalIDIsAccessDeniedExplainedAndNotRetried() async throws {
        let server = try Self.stub()
        let base = StaticCredentialProvider(fakeCredentials("base"))
        let wrong = try source(server, externalId: "ext-wrong", base: base)
        let error = await #expect(throws: AWSError.self) { try await wrong.fetch(logger: logger) }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("STS refused this delegate the role: check the external ID") == true)
        #expect(error?.message.contains(Self.roleArn) == true)
        // Both sides that can refuse are named: the trust policy and the caller's own permission.
        #expect(error?.message.contains("this delegate's own identity may call sts:AssumeRole on it") == true)
        #expect(error?.retryable == false)
        #expect(error?.attempts == 1)
        #expect(server.requestsServed == 1, "AccessDenied is terminal")

        // Through the cache too: within the failure hold a caller gets the refusal without asking
        // STS again; after it, the same cache asks again (the failure is not sticky).
        let clock = ManualClock()
        let cached = CachingCredentialProvider(source: wrong, clock: clock)
        for _ in 0..<3 {
            await #expect(throws: AWSError.self) { try await cached.credentials(logger: logger) }
        }
        #expect(server.requestsServed == 2)
        clock.advance(by: RefreshPolicy.failureHold)
        let again = await #expect(throws: AWSError.self) { try await cached.credentials(logger: logger) }
        #expect(again?.code == .accessDenied)
        #expect(server.requestsServed == 3)

        // No external ID at all is refused the same way (moto would let it through; AWS does not).
        let missing = await #expect(throws: AWSError.self) {
            try await source(server, externalId: nil, base: base).fetch(logger: logger)
        }
        #expect(missing?.message.contains("check the external ID") == true)
        #expect(server.requestsServed == 4)

        let right = try source(server, externalId: "ext-right", base: base)
        let credentials = try await right.fetch(logger: logger)
        #expect(credentials.accessKeyId == "ASIASTUB")
        #expect(credentials.sessionToken == "stub-token")
        #expect(credentials.expiration == Timestamp.parse(Self.farExpiration))
    }

    /// A session token with a byte no key holds would be signed as it is, and AWS would refuse
    /// every call with `SignatureDoesNotMatch`: refused at once, named by position, not by value.
    @Test func aSessionWithAByteNoKeyHoldsIsRefusedNamingTheField() async throws {
        let server = try Self.stub()
        let spaced = try source(
            server, externalId: "ext-spaced", base: StaticCredentialProvider(fakeCredentials("base")))
        let error = await #expect(throws: AWSError.self) { try await spaced.fetch(logger: logger) }
        #expect(error?.code == .invalidResponse, "\(String(describing: error))")
        #expect(
            error?.message
                == "STS AssumeRole answered credentials whose SessionToken has a character no key holds (white "
                + "space, a control character or a non-ASCII byte) at byte 6")
        #expect(error?.description.contains("stub-secret") == false)
    }

    /// The external id, kept out of status and the journal, is kept out of an STS message that
    /// quotes it too.
    @Test func anExternalIDQuotedByTheEndpointIsRedacted() async throws {
        let server = try Self.stub()
        let echoed = try source(
            server, externalId: "ext-echo-7c41a9", base: StaticCredentialProvider(fakeCredentials("base")))
        let error = await #expect(throws: AWSError.self) { try await echoed.fetch(logger: logger) }
        #expect(error?.description.contains("ext-echo-7c41a9") == false, "\(String(describing: error))")
        #expect(error?.message.contains("Value '<redacted>' at 'externalId'") == true, "\(String(describing: error))")
    }

    @Test func theRequestSaysWhoAsksAndForHowLong() async throws {
        let server = try Self.stub()
        _ = try await source(server, externalId: "ext-right", base: StaticCredentialProvider(fakeCredentials("base")))
            .fetch(logger: logger)
        let request = try #require(server.recordedRequests.first)
        #expect(request.method == "POST")
        let body = request.bodyText
        #expect(body.hasPrefix("Action=AssumeRole&Version=2011-06-15&"))
        #expect(body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fsm"))
        #expect(body.contains("RoleSessionName=secrets-delegate-web-01-prod"))
        #expect(body.contains("DurationSeconds=1800"))
        #expect(body.contains("ExternalId=ext-right"))
        #expect(request.headers["Authorization"]?.contains("/eu-west-1/sts/aws4_request") == true)
        #expect(request.headers["X-Amz-Security-Token"] == "fake-token-base")
    }

    @Test func anExpiredBaseTokenRefreshesTheBaseAndRetriesOnce() async throws {
        let server = try Self.stub(expiredTokens: 1)
        let base = CountingProvider()
        let credentials = try await source(server, externalId: "ext-right", base: base).fetch(logger: logger)
        #expect(credentials.accessKeyId == "ASIASTUB")
        #expect(base.invalidations == 1)
        #expect(server.requestsServed == 2)

        let twice = try Self.stub(expiredTokens: 2)
        let error = await #expect(throws: AWSError.self) {
            try await source(twice, externalId: "ext-right", base: CountingProvider()).fetch(logger: logger)
        }
        #expect(error?.code == .expiredToken)
        #expect(twice.requestsServed == 2, "retried once, not more")
    }

    /// An answer with an empty key id, secret or session token is no session (an empty token
    /// would be signed as an empty `X-Amz-Security-Token`, and AWS's refusal would puzzle).
    @Test(arguments: ["AccessKeyId", "SecretAccessKey", "SessionToken"])
    func anEmptyPartIsNoSession(_ emptied: String) {
        func body(emptying: String?) -> Data {
            let parts = ["AccessKeyId": "ASIASTUB", "SecretAccessKey": "stub-secret", "SessionToken": "stub-token"]
            let inner = parts.keys.sorted().map { key in
                "<\(key)>\(key == emptying ? "" : parts[key]!)</\(key)>"
            }.joined()
            return Data(
                "<AssumeRoleResponse><AssumeRoleResult><Credentials>\(inner)<Expiration>\(Self.farExpiration)</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
                    .utf8)
        }
        #expect(AssumeRoleSource.parseCredentials(body(emptying: nil))?.sessionToken == "stub-token")
        #expect(AssumeRoleSource.parseCredentials(body(emptying: emptied)) == nil)
    }

    /// An `ExpiredToken` on a call signed with the role's session drops that session, never the
    /// base identity's credentials (the instance role's, say), which STS itself did not refuse.
    @Test func anExpiredSessionLeavesTheBaseIdentityAlone() async throws {
        let server = try Self.stub(expiredTokens: 0)
        let base = CountingProvider()
        let provider = CachingCredentialProvider(source: try source(server, externalId: "ext-right", base: base))
        let session = try await provider.credentials(logger: logger)
        await provider.invalidate(accessKeyID: session.accessKeyId)
        _ = try await provider.credentials(logger: logger)
        #expect(server.requestsServed == 2, "a new session")
        #expect(base.invalidations == 0)
    }

    /// A session that has already ended (or ends within the safety margin) is refused, not
    /// cached: each task waiting on the fetch would sign with it, and each next one fetch again.
    @Test(arguments: ["2000-01-01T00:00:00Z", Timestamp.format(Date().addingTimeInterval(5))])
    func aSessionAlreadyAtItsEndIsRefused(_ expiration: String) async throws {
        let server = try Self.stub(expiration: expiration)
        let ended = try source(server, externalId: "ext-right", base: StaticCredentialProvider(fakeCredentials("base")))
        let error = await #expect(throws: AWSError.self) { try await ended.fetch(logger: logger) }
        #expect(error?.code == .invalidResponse)
        #expect(error?.message.contains(String(expiration.prefix(19))) == true)
        #expect(error?.message.contains("stub-secret") == false)

        // Through the cache: refused once within the failure hold, not fetched per caller.
        let cached = CachingCredentialProvider(source: ended, clock: ManualClock())
        for _ in 0..<3 {
            await #expect(throws: AWSError.self) { try await cached.credentials(logger: logger) }
        }
        #expect(server.requestsServed == 2)

        let later = try Self.stub(expiration: Timestamp.format(Date().addingTimeInterval(900)))
        let fine = try await source(
            later, externalId: "ext-right", base: StaticCredentialProvider(fakeCredentials("base"))
        )
        .fetch(logger: logger)
        #expect(fine.sessionToken == "stub-token")
    }

    /// With this host's clock an hour behind AWS (learned by the STS client), a session's
    /// expiration is moved onto this host's clock.
    @Test func theExpirationIsMovedOntoThisHostsClockByTheLearnedSkew() async throws {
        let server = try Self.stub()
        let sts = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "sts", region: "eu-west-1", url: server.baseURL),
            options: .patient(), httpClient: try loopbackHTTPClient(), sleeper: RecordingSleeper())
        let local = Date()
        let imf = DateFormatter()
        imf.locale = Locale(identifier: "en_US_POSIX")
        imf.timeZone = TimeZone(identifier: "GMT")
        imf.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(
            sts.clockSkew.adjust(
                code: AWSError.Code(rawValue: "RequestTimeTooSkewed"),
                serverDate: imf.string(from: local.addingTimeInterval(3600)), localNow: local, signedWithOffset: 0))
        let source = try AssumeRoleSource(
            role: AssumeRoleCredentials(roleARN: Self.roleArn, externalID: "ext-right", durationSeconds: 1800),
            delegateName: "web", base: StaticCredentialProvider(fakeCredentials("base")), sts: sts)
        let credentials = try await source.fetch(logger: logger)
        let stubExpiration = try #require(Timestamp.parse(Self.farExpiration))
        let moved = try #require(credentials.expiration).timeIntervalSince(stubExpiration)
        #expect(abs(moved + 3600) < 5, "moved by \(moved) s")
    }

    @Test func sessionNamesFitSTSRules() {
        #expect(AssumeRoleSource.sessionName(for: "web-01") == "secrets-delegate-web-01")
        #expect(AssumeRoleSource.sessionName(for: "a b/c:d") == "secrets-delegate-a-b-c-d")
        let long = AssumeRoleSource.sessionName(for: String(repeating: "x", count: 200))
        #expect(long.count == 64)
        #expect(AssumeRoleSource.sessionName(for: "").count >= 2)
        // Names that differ only past the cut are two sessions, each at most 64 characters.
        let base = "build-runner-production-eu-central-1-autoscale-0"
        let (seven, eight) = (
            AssumeRoleSource.sessionName(for: base + "7"), AssumeRoleSource.sessionName(for: base + "8")
        )
        #expect(seven != eight)
        #expect(seven.count == 64 && eight.count == 64 && seven.hasPrefix("secrets-delegate-build-runner-"))
        let fits = String(repeating: "y", count: 47)
        #expect(AssumeRoleSource.sessionName(for: fits) == "secrets-delegate-" + fits, "fits whole: kept as it is")
    }
}

/// A base identity that counts how often AWS said its credentials were expired.
final class CountingProvider: CredentialProvider {
    private let count = Mutex(0)
    var invalidations: Int { count.withLock { $0 } }

    func credentials(logger: Logger) async throws(AWSError) -> Credentials { fakeCredentials("counting") }

    /// Renewed as a cache is (the next call may serve other credentials).
    func invalidate(accessKeyID: String) async -> Bool {
        count.withLock { $0 += 1 }
        return true
    }
}
