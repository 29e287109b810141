import AWSCore
import AWSCredentials
import Foundation
import HTTP
import Logging
import SigV4
import Synchronization
import TestSupport
import Testing

/// The IMDSv2 client against the strict test IMDS: tokens, retries, switches and validation.
@Suite struct IMDSCredentialSourceTests {
    let logger = Logger(label: "test.imds")

    @Test func fetchesWithASessionTokenAndParsesTheDocument() async throws {
        let clock = ManualClock()
        let expiration = clock.now().addingTimeInterval(3600)
        let issued = fakeCredentials("doc")
        let server = try IMDSServer(credentials: issued, expiration: expiration)
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)

        let credentials = try await source.fetch(logger: logger)
        #expect(credentials.accessKeyId == issued.accessKeyId)
        #expect(credentials.secretAccessKey == issued.secretAccessKey)
        #expect(credentials.sessionToken == issued.sessionToken)
        #expect(credentials.expiration == expiration)
        #expect(server.counts == IMDSServer.Counts(tokenPUTs: 1, roleListGETs: 1, credentialGETs: 1))

        let requests = server.recordedRequests
        #expect(requests.first?.method == "PUT")
        #expect(requests.first?.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600")
        #expect(requests.allSatisfy { $0.headers["X-Forwarded-For"] == nil })
        #expect(requests.dropFirst().allSatisfy { $0.headers["X-aws-ec2-metadata-token"] != nil })

        // The token is cached for its TTL less a buffer: a second fetch does not ask for one...
        _ = try await source.fetch(logger: logger)
        #expect(server.counts.tokenPUTs == 1)
        // ...until the clock passes the TTL less the buffer.
        clock.advance(by: 21_600 - 60)
        // (IMDS hands out fresh credentials by then.)
        server.serve(issued, expiration: clock.now().addingTimeInterval(3600))
        _ = try await source.fetch(logger: logger)
        #expect(server.counts.tokenPUTs == 2)
    }

    /// The token is used for the TTL IMDS granted (less a buffer), not the one asked for: against
    /// an IMDS that grants 60 s, a fetch 61 s later asks for a new token first and is never
    /// refused for an expired one. (IMDS and the client share one manual clock.)
    @Test func aTokenIsRenewedBeforeTheTTLIMDSGrantedRunsOut() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("ttl"), expiration: clock.now().addingTimeInterval(3600))
        server.useClock(clock)
        server.limitTokenLifetime(toSeconds: 60)
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        _ = try await source.fetch(logger: logger)
        clock.advance(by: 61)
        _ = try await source.fetch(logger: logger)
        #expect(server.counts.tokenPUTs == 2)
        #expect(server.counts.unauthorized == 0)
    }

    /// A fetch the stop cuts off (the HTTP client shut down under it) is cancelled, as any AWS
    /// call then is: not "IMDS could not be reached", which the credential cache would warn of
    /// and static stability take for an outage; and it is not tried again.
    @Test func aFetchOnAClosedHTTPClientIsCancelledNotUnreachable() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("stop"), expiration: Date().addingTimeInterval(3600))
        let http = try loopbackHTTPClient()
        let source = imdsSource(server, http: http)
        http.shutdown()
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.code == .cancelled)
        #expect(error?.attempts == 1)
        #expect(server.recordedRequests.isEmpty)
    }

    @Test func aRejectedTokenIsFetchedAgainExactlyOnce() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("401"), expiration: Date().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient())
        _ = try await source.fetch(logger: logger)
        #expect(server.counts.tokenPUTs == 1)

        // IMDS forgot the token (e.g. it restarted): one 401, one new token, success.
        server.revokeTokens()
        let credentials = try await source.fetch(logger: logger)
        #expect(credentials.accessKeyId == "ASIAFAKE401")
        #expect(server.counts.unauthorized == 1)
        #expect(server.counts.tokenPUTs == 2)
        #expect(server.counts.credentialGETs == 2)

        // A 401 that persists with a fresh token: one more token, then the error; no IMDSv1 attempt.
        server.setMode(.rejectingTokens)
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.httpStatus == 401)
        #expect(server.counts.tokenPUTs == 3)
        #expect(server.counts.unauthorized == 3)
        #expect(
            server.recordedRequests.allSatisfy { $0.method == "PUT" || $0.headers["X-aws-ec2-metadata-token"] != nil })
    }

    @Test func awsEC2MetadataDisabledTurnsIMDSOff() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("off"), expiration: Date().addingTimeInterval(3600))
        let http = try loopbackHTTPClient()
        for value in ["true", "TRUE", "True"] {
            let source = imdsSource(server, http: http, environment: ["AWS_EC2_METADATA_DISABLED": value])
            #expect(source.isDisabled)
            let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
            #expect(error?.code == .credentialsUnavailable)
            #expect(error?.message.contains("AWS_EC2_METADATA_DISABLED") == true)
        }
        #expect(server.connectionsAccepted == 0, "a disabled IMDS is never contacted")
        #expect(!imdsSource(server, http: http, environment: ["AWS_EC2_METADATA_DISABLED": "false"]).isDisabled)
    }

    @Test func neverGoesThroughAProxy() async throws {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(status: 502, body: "proxy") }
        let server = try IMDSServer(credentials: fakeCredentials("proxy"), expiration: Date().addingTimeInterval(3600))
        let http = try loopbackHTTPClient(environment: ["http_proxy": proxy.baseURL, "HTTP_PROXY": proxy.baseURL])
        let credentials = try await imdsSource(server, http: http).fetch(logger: logger)
        #expect(credentials.accessKeyId == "ASIAFAKEproxy")
        #expect(proxy.connectionsAccepted == 0)
    }

    @Test func aDocumentThatIsNotSuccessIsRefused() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("code"), expiration: Date().addingTimeInterval(3600))
        server.setCode("Failed")
        let source = imdsSource(server, http: try loopbackHTTPClient())
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.message.contains("Failed") == true)
        #expect(error?.description.contains("fake-secret-code") == false)
    }

    /// A key id, secret or token with a byte no key holds (a space, say) would be signed as it is,
    /// and AWS would refuse every call with `SignatureDoesNotMatch`: refused here, the field named
    /// by position, never by value.
    @Test func credentialsWithAByteNoKeyHoldsAreRefusedNamingTheField() async throws {
        let spaced = Credentials(
            accessKeyId: "ASIAFAKEspaced", secretAccessKey: "fake-secret-spaced", sessionToken: "fake-token spaced")
        let server = try IMDSServer(credentials: spaced, expiration: Date().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient())
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.code == .invalidResponse, "\(String(describing: error))")
        #expect(
            error?.message
                == "IMDS credentials' Token has a character no key holds (white space, a control character or a "
                + "non-ASCII byte) at byte 11")
        #expect(error?.description.contains("fake-token") == false)
        #expect(error?.description.contains("fake-secret") == false)
    }

    /// EC2's IMDS answers the role listing with 404 on an instance without an instance profile:
    /// the error says what to look at.
    @Test func noInstanceProfileIsNamedAsTheLikelyCause() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("none"), expiration: Date().addingTimeInterval(3600))
        server.setMode(.noInstanceProfile)
        let source = imdsSource(server, http: try loopbackHTTPClient())
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.code == .instanceRoleNotFound)
        #expect(error?.retryable == false)
        #expect(error?.message.contains("is an instance profile attached?") == true, "\(String(describing: error))")
    }

    /// A role name IAM would not allow (an endpoint that is no IMDS, answering with a page) is
    /// refused saying its length, never quoted into the journal or status; one IAM allows, up to
    /// its 64 characters, is fetched.
    @Test func aListedRoleNameIAMWouldNotAllowIsRefusedUnquoted() async throws {
        let page = "<html><body>\u{1B}[31mproxy says no" + String(repeating: "x", count: 4000)
        for name in [page, String(repeating: "r", count: 65), "role name"] {
            let server = try IMDSServer(
                credentials: fakeCredentials("named"), expiration: Date().addingTimeInterval(3600), roleName: name)
            let source = imdsSource(server, http: try loopbackHTTPClient())
            let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
            #expect(error?.message.contains("IAM does not allow") == true, "\(String(describing: error))")
            #expect(error?.message.contains("(\(name.utf8.count) bytes)") == true, "\(String(describing: error))")
            #expect(error?.description.contains("proxy says no") == false)
            #expect(error?.retryable == false)
        }
        for name in ["Ops+Role=1,a.b@c_d-e", String(repeating: "r", count: 64)] {
            let server = try IMDSServer(
                credentials: fakeCredentials("allowed"), expiration: Date().addingTimeInterval(3600), roleName: name)
            let credentials = try await imdsSource(server, http: try loopbackHTTPClient()).fetch(logger: logger)
            #expect(credentials.accessKeyId == fakeCredentials("allowed").accessKeyId)
        }
    }

    @Test func anUnreachableIMDSFailsFastWithBoundedRetries() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("down"), expiration: Date().addingTimeInterval(3600))
        server.setMode(.down)
        let source = imdsSource(server, http: try loopbackHTTPClient())
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.kind == .transport)
        #expect(server.counts.whileDown == 2, "maxAttempts is 2: one try and one retry")

        server.setMode(.failing)
        let failing = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(failing?.httpStatus == 503)
        #expect(server.counts.whileDown == 4)
    }

    /// IMDS throttles a host that asks too often with 429: that is "not now", like a 5xx. It is
    /// retried, it may be tried again later, and expired credentials are kept meanwhile.
    @Test func aThrottlingIMDSIsRetriedAndEngagesStaticStability() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("busy"), expiration: clock.now().addingTimeInterval(3600))
        server.setMode(.throttling)
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.httpStatus == 429)
        #expect(error?.retryable == true)
        #expect(server.counts.whileDown == 2, "maxAttempts is 2: one try and one retry")

        server.setMode(.up)
        _ = try await source.fetch(logger: logger)
        clock.advance(by: 3600 + 60)
        server.setMode(.throttling)
        let recorder = LogRecorder()
        let kept = try await source.fetch(logger: recorder.logger())
        #expect(kept.accessKeyId == "ASIAFAKEbusy")
        #expect(try #require(kept.expiration) > clock.now())
        #expect(recorder.allText.contains("static-stability-engaged"))
        // Reached, and throttling: not the metadata options' to mend.
        #expect(
            recorder.allText.contains("IMDS answered HTTP 429 as the instance credentials expire"),
            "\(recorder.records)")
        #expect(!recorder.allText.contains("unreachable"))
    }

    /// Credentials AWS refused (the provider invalidates the source) are not brought back by
    /// static stability when IMDS is then unreachable.
    @Test func refusedCredentialsAreNotKeptForStaticStability() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("refused"), expiration: clock.now().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        _ = try await source.fetch(logger: logger)
        clock.advance(by: 3600 + 60)
        await source.invalidate(accessKeyID: "ASIAFAKErefused")
        server.setMode(.down)
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.kind == .transport)
    }

    @Test func anOversizedAnswerIsAnInvalidResponseThatNeverEngagesStaticStability() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("big"), expiration: clock.now().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        _ = try await source.fetch(logger: logger)

        // The credentials have expired and IMDS answers, but with far too much.
        clock.advance(by: 3600 + 60)
        server.setMode(.oversized)
        let recorder = LogRecorder()
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: recorder.logger()) }
        #expect(error?.kind == .invalidResponse)
        #expect(error?.code == .invalidResponse)
        #expect(server.counts.oversized == 1, "an answer that was too large is not asked for again")
        #expect(!recorder.allText.contains("static-stability-engaged"))
    }

    /// A session token that could never be sent back in a header (an emulator's trailing newline)
    /// is refused when it comes, as IMDS's failure to give one, not cached: cached, it failed
    /// every request for hours before any was sent, each reported as IMDS unreachable (which
    /// would keep expired credentials alive). The next fetch asks for a token again.
    @Test func aTokenThatCannotBeSentIsRefusedNotCached() async throws {
        let puts = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            guard request.method == "PUT" else { return ScriptedResponse(status: 200, body: "role") }
            puts.withLock { $0 += 1 }
            return ScriptedResponse(
                status: 200, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"], body: "tok-3f9a\n")
        }
        defer { server.stop() }
        let source = IMDSCredentialSource(
            http: try loopbackHTTPClient(), endpoint: server.baseURL, environment: [:], clock: ManualClock(),
            maxAttempts: 1, jitter: { 0.5 })
        for attempt in 1...2 {
            let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
            #expect(error?.code == .imdsTokenUnavailable, "\(String(describing: error))")
            #expect(error?.kind != .transport, "not an outage")
            #expect(error?.message.contains("tok-3f9a") == false, "the token's bytes are not echoed")
            #expect(puts.withLock { $0 } == attempt, "asked for a token again")
        }
        #expect(server.requestsServed == 2, "no GET was tried with it")
    }

    /// A token refused with 403 is IMDS turned off on the instance (or a proxy on the way), and
    /// the message says so; a token whose answer never comes (a container behind the instance's
    /// hop limit of 1 loses it) is a timeout that names the hop limit.
    @Test func aRefusedOrLostTokenSaysWhatOnEC2CausesIt() async throws {
        /// What one fetch from an IMDS answering every request with `answer` fails with.
        func failure(_ answer: ScriptedResponse) async throws -> AWSError? {
            let server = try LoopbackHTTPServer { _ in answer }
            defer { server.stop() }
            return await #expect(throws: AWSError.self) {
                try await IMDSCredentialSource(
                    http: try loopbackHTTPClient(), endpoint: server.baseURL, environment: [:], clock: ManualClock(),
                    maxAttempts: 1, jitter: { 0.5 }
                ).fetch(logger: logger)
            }
        }
        let refused = try await failure(ScriptedResponse(status: 403, body: ""))
        #expect(refused?.code == .imdsTokenUnavailable)
        #expect(
            refused?.message.contains("HTTP 403: the instance's metadata service is turned off") == true,
            "\(String(describing: refused))")

        let lost = try await failure(ScriptedResponse(status: 200, body: "late", delay: .seconds(10)))
        #expect(lost?.code == .endpointUnreachable)
        #expect(lost?.message.contains("hop limit must be 2 or more") == true, "\(String(describing: lost))")
    }

    /// A connection to IMDS not made in time (curl's timeout before anything was sent) is a
    /// timeout as an answer not come in time is: not retried (an unreachable IMDS fails fast),
    /// and the message names the hop limit; a connection refused is retried.
    @Test func aConnectionTimeoutIsNotRetriedAndNamesTheHopLimit() async throws {
        func fetch(failingWith error: HTTPClientError) async -> (AWSError?, Int) {
            let http = ScriptedHTTPClient()
            http.always(.any, .failure(error))
            let failure = await #expect(throws: AWSError.self) {
                try await IMDSCredentialSource(
                    http: http, endpoint: "http://127.0.0.1:9", clock: ManualClock(), maxAttempts: 3, jitter: { 0 }
                ).fetch(logger: logger)
            }
            return (failure, http.requests.count)
        }
        let (timedOut, tries) = await fetch(
            failingWith: HTTPClientError(
                code: .couldNotConnect, message: "Connection timed out after 1000 milliseconds", curlCode: 28))
        #expect(tries == 1)
        #expect(timedOut?.message.contains("hop limit must be 2 or more") == true, "\(String(describing: timedOut))")
        let (_, refusedTries) = await fetch(
            failingWith: HTTPClientError(code: .couldNotConnect, message: "Connection refused", curlCode: 7))
        #expect(refusedTries == 3)
    }

    /// An `imds_endpoint` where another protocol answers is a wrong endpoint, not an outage: an
    /// invalid response (never `.transport`, which would keep expired credentials alive), asked once.
    @Test func anAnswerThatIsNotHTTPIsAnInvalidResponse() async throws {
        let server = try #require(LoopbackNotHTTPServer())
        defer { server.stop() }
        let error = try await fetchError(from: server.baseURL)
        #expect(error?.kind == .invalidResponse)
        #expect(error?.message.contains("something other than HTTP") == true, "\(String(describing: error))")
        #expect(server.connectionsServed == 1)
    }

    /// An answer in HTTP libcurl cannot read (a version it does not take) is IMDS answering, not
    /// an outage: an invalid response (never `.transport`, which would keep expired credentials
    /// alive), asked once.
    @Test func anAnswerInUnreadableHTTPIsAnInvalidResponse() async throws {
        let server = try #require(LoopbackNotHTTPServer(greeting: "HTTP/1.2 200 OK\r\nContent-Length: 5\r\n\r\ntoken"))
        defer { server.stop() }
        let error = try await fetchError(from: server.baseURL)
        #expect(error?.kind == .invalidResponse, "\(String(describing: error))")
        #expect(
            error?.message.contains("answered in HTTP that could not be read (is imds_endpoint IMDS?)") == true,
            "\(String(describing: error))")
        #expect(server.connectionsServed == 1)
    }

    /// An endpoint that sends endless headers answered: an invalid response said so, not an
    /// unreachable IMDS worth another attempt (as any other client reports it).
    @Test func endlessHeadersAreAnInvalidResponse() async throws {
        let padding = String(repeating: "h", count: 1000)
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(
                headers: HTTPHeaders((0..<300).map { HTTPHeaders.Field(name: "X-Pad-\($0)", value: padding) }),
                body: "token")
        }
        defer { server.stop() }
        let error = try await fetchError(from: server.baseURL)
        #expect(error?.kind == .invalidResponse, "\(String(describing: error))")
        #expect(error?.message.contains("response headers over 256 KiB") == true, "\(String(describing: error))")
    }

    /// The error of a fetch from IMDS at `endpoint` (two attempts at most), which must fail.
    func fetchError(from endpoint: String) async throws -> AWSError? {
        let source = IMDSCredentialSource(
            http: try loopbackHTTPClient(), endpoint: endpoint, environment: [:], clock: ManualClock(),
            maxAttempts: 2, jitter: { 0.5 })
        return await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
    }

    /// IMDS that cannot refresh the instance credentials hands out the expired ones: they are
    /// kept 5-15 minutes more (static stability, as the AWS SDKs do; AWS accepts them a while past
    /// their expiry), even on a delegate that had none before, until AWS refuses them: handed
    /// out again after that, they are refused.
    @Test func credentialsAlreadyExpiredWhenFetchedAreKeptUntilAWSRefusesThem() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("stale"), expiration: clock.now().addingTimeInterval(-5))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        let recorder = LogRecorder()
        let kept = try await source.fetch(logger: recorder.logger())
        #expect(kept.accessKeyId == "ASIAFAKEstale")
        // The test's jitter is 0.5: 5 minutes and half of 10 more.
        #expect(kept.expiration == clock.now().addingTimeInterval(600))
        let engaged = recorder.records.filter { $0.contains("static-stability-engaged") }
        #expect(engaged.count == 1 && engaged.first?.hasPrefix("warning") == true, "\(recorder.records)")
        #expect(engaged.first?.contains("expired 5 s ago") == true, "\(engaged)")
        #expect(!recorder.allText.contains("fake-secret-stale"))

        // Kept again when they lapse and IMDS still hands them out.
        clock.advance(by: 601)
        #expect(try await source.fetch(logger: logger).expiration == clock.now().addingTimeInterval(600))

        // AWS refused them: handed out again, they are refused.
        await source.invalidate(accessKeyID: "ASIAFAKEstale")
        let refusing = LogRecorder()
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: refusing.logger()) }
        #expect(error?.code == .invalidResponse)
        #expect(error?.message.contains("AWS has refused them") == true, "\(String(describing: error))")
        #expect(error?.description.contains("fake-secret-stale") == false)
        #expect(refusing.records.contains { $0.hasPrefix("warning") && $0.contains("imds-expired-credentials") })
        // Handed out again at every fetch (one a second while tasks wait, an outage long): refused
        // each time, warned of once.
        let again = LogRecorder()
        for _ in 0..<3 {
            let refusal = await #expect(throws: AWSError.self) { try await source.fetch(logger: again.logger()) }
            #expect(refusal?.message.contains("AWS has refused them") == true)
        }
        #expect(!again.allText.contains("imds-expired-credentials"), "\(again.records)")

        // New ones, once IMDS can refresh again, are taken.
        server.serve(fakeCredentials("fresh"), expiration: clock.now().addingTimeInterval(3600))
        #expect(try await source.fetch(logger: logger).accessKeyId == "ASIAFAKEfresh")
    }

    /// While static stability serves expired credentials the session's last error says so (the
    /// status shows it, not only a fresh-looking expiry); good credentials from IMDS clear it.
    @Test func staticStabilityIsTheSessionsLastErrorUntilIMDSRecovers() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("stale"), expiration: clock.now().addingTimeInterval(-5))
        let provider = CachingCredentialProvider(
            source: imdsSource(server, http: try loopbackHTTPClient(), clock: clock), clock: clock)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEstale")
        let degraded = await provider.snapshot()
        #expect(degraded.lastError?.hasPrefix("static stability: IMDS handed out credentials that expired") == true,
            "\(String(describing: degraded.lastError))")
        #expect(degraded.expiration == clock.now().addingTimeInterval(600))

        server.serve(fakeCredentials("fresh"), expiration: clock.now().addingTimeInterval(3600))
        clock.advance(by: 601)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEfresh")
        #expect(await provider.snapshot().lastError == nil)
    }

    /// The outage itself: IMDS failing (503) as the instance credentials expire keeps them (static
    /// stability) and says so in the session's last error, until IMDS answers again.
    @Test func anIMDSFailingAtExpiryIsTheSessionsLastError() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(credentials: fakeCredentials("kept"), expiration: clock.now().addingTimeInterval(3600))
        let provider = CachingCredentialProvider(
            source: imdsSource(server, http: try loopbackHTTPClient(), clock: clock), clock: clock)
        _ = try await provider.credentials(logger: logger)
        #expect(await provider.snapshot().lastError == nil)
        server.setMode(.failing)
        clock.advance(by: 3600)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEkept")
        let degraded = await provider.snapshot().lastError
        #expect(degraded?.hasPrefix("static stability: IMDS answered HTTP 503") == true, "\(String(describing: degraded))")

        server.setMode(.up)
        server.serve(fakeCredentials("back"), expiration: clock.now().addingTimeInterval(3600))
        clock.advance(by: 601)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEback")
        #expect(await provider.snapshot().lastError == nil)
    }

    /// AWS's refusal names a key: credentials a refresh brought meanwhile are not taken for it,
    /// and kept in their turn by static stability when IMDS later hands them out expired; the
    /// same key kept again at a refresh ahead of its new end says nothing new.
    @Test func aRefusalOfAnOlderKeyLeavesNewerCredentialsAlone() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("newer"), expiration: clock.now().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        _ = try await source.fetch(logger: logger)
        await source.invalidate(accessKeyID: "ASIAFAKEolder")
        clock.advance(by: 3600 + 60)
        let kept = try await source.fetch(logger: logger)
        #expect(kept.accessKeyId == "ASIAFAKEnewer" && kept.expiration == clock.now().addingTimeInterval(600))

        clock.advance(by: 300)
        let recorder = LogRecorder()
        #expect(try await source.fetch(logger: recorder.logger()).accessKeyId == "ASIAFAKEnewer")
        #expect(!recorder.allText.contains("keeping the earlier ones"), "\(recorder.records)")
    }

    /// Credentials that expire within the 10 s margin are as good as expired (a request signed
    /// with them could outlive them): kept as expired ones are, for minutes, so that a cache does
    /// not fetch them again at every call.
    @Test func credentialsExpiringWithinTheMarginAreKeptAsExpiredOnesAre() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("dying"), expiration: clock.now().addingTimeInterval(8))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        let recorder = LogRecorder()
        let kept = try await source.fetch(logger: recorder.logger())
        #expect(kept.accessKeyId == "ASIAFAKEdying" && kept.expiration == clock.now().addingTimeInterval(600))
        #expect(recorder.records.contains { $0.contains("static-stability-engaged") && $0.contains("expire in 8 s") })

        server.serve(fakeCredentials("fresh"), expiration: clock.now().addingTimeInterval(11))
        #expect(try await source.fetch(logger: logger).accessKeyId == "ASIAFAKEfresh")
    }

    /// IMDS's `Date` tells how far this host's clock is off; expiry is taken by this host's clock.
    @Test func expiryIsMovedByTheClockDifferenceIMDSsDateShows() async throws {
        let clock = ManualClock()
        let imdsNow = clock.now().addingTimeInterval(-3600)  // this host runs an hour ahead
        let server = try IMDSServer(credentials: fakeCredentials("skew"), expiration: imdsNow.addingTimeInterval(1800))
        server.setDate(imdsNow)
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        let recorder = LogRecorder()
        // By this host's clock the expiry passed half an hour ago; by IMDS's it is half an hour away.
        let credentials = try await source.fetch(logger: recorder.logger())
        #expect(credentials.accessKeyId == "ASIAFAKEskew")
        #expect(credentials.expiration == clock.now().addingTimeInterval(1800))
        let warning = recorder.records.first { $0.contains("imds-clock-skew") }
        #expect(warning?.hasPrefix("warning") == true, "\(recorder.records)")
        #expect(warning?.contains("3600 s ahead of IMDS's") == true, "\(String(describing: warning))")
        #expect(warning?.contains("fake-secret") == false)
        // The same difference at the next fetch is corrected for without another line.
        let same = LogRecorder()
        #expect(try await source.fetch(logger: same.logger()).expiration == clock.now().addingTimeInterval(1800))
        #expect(!same.allText.contains("imds-clock-skew"), "\(same.records)")

        // Behind by an hour: credentials that IMDS says end in 30 minutes end in 30 minutes here too,
        // and the new difference is said.
        server.setDate(clock.now().addingTimeInterval(3600))
        server.serve(fakeCredentials("behind"), expiration: clock.now().addingTimeInterval(3600 + 1800))
        let moved = LogRecorder()
        #expect(try await source.fetch(logger: moved.logger()).expiration == clock.now().addingTimeInterval(1800))
        #expect(moved.records.contains { $0.contains("imds-clock-skew") && $0.contains("3600 s behind") }, "\(moved.records)")

        // A difference under 30 s is left alone, without a warning.
        server.setDate(clock.now().addingTimeInterval(20))
        server.serve(fakeCredentials("close"), expiration: clock.now().addingTimeInterval(900))
        let quiet = LogRecorder()
        #expect(try await source.fetch(logger: quiet.logger()).expiration == clock.now().addingTimeInterval(900))
        #expect(!quiet.allText.contains("imds-clock-skew"))
    }

    @Test func expiredCredentialsFromIMDSLeaveEarlierGoodOnesInUse() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("good"), expiration: clock.now().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        _ = try await source.fetch(logger: logger)

        // Still good when IMDS hands out stale ones: the good ones stay.
        server.serve(fakeCredentials("stale"), expiration: clock.now().addingTimeInterval(-60))
        let recorder = LogRecorder()
        let kept = try await source.fetch(logger: recorder.logger())
        #expect(kept.accessKeyId == "ASIAFAKEgood")
        #expect(recorder.records.contains { $0.hasPrefix("warning") && $0.contains("imds-expired-credentials") })

        // Expired, then kept by static stability while IMDS was down: still preferred to stale ones.
        clock.advance(by: 3600 + 60)
        server.setMode(.down)
        let extended = try await source.fetch(logger: logger)
        #expect(extended.accessKeyId == "ASIAFAKEgood")
        server.setMode(.up)
        server.serve(fakeCredentials("stale"), expiration: clock.now().addingTimeInterval(-60))
        #expect(try await source.fetch(logger: logger).accessKeyId == "ASIAFAKEgood")

        // Once those run out too, the stale ones IMDS hands out are kept in their turn (it cannot
        // refresh them), until AWS refuses them.
        clock.advance(by: 16 * 60)
        #expect(try await source.fetch(logger: logger).accessKeyId == "ASIAFAKEstale")
        await source.invalidate(accessKeyID: "ASIAFAKEstale")
        let error = await #expect(throws: AWSError.self) { try await source.fetch(logger: logger) }
        #expect(error?.code == .invalidResponse)
    }
}
