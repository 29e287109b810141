import AWSCore
import FoundationEssentials
import HTTP
import Logging
import SigV4
import Synchronization

/// The EC2 instance role's credentials through IMDSv2, at the level of the best SDK clients.
///
/// - A session token from `PUT /latest/api/token` (TTL 6 h), cached for the TTL the response
///   gives minus a safety buffer, fetched again once when a request gets 401.
/// - Never IMDSv1, never through a proxy; `AWS_EC2_METADATA_DISABLED=true` turns IMDS off.
/// - Fails fast where there is no IMDS: a 1 s connect timeout and 2 s for the whole request (a
///   timeout is not retried), a few bounded retries on 5xx, 429 and other transport failures.
/// - Role name discovered from `/latest/meta-data/iam/security-credentials/`; the credentials
///   document must say `"Code": "Success"`; responses are bounded in size.
/// - Static stability: when IMDS cannot be reached or answers "not now" (5xx, 429) and the last
///   credentials have expired, they are
///   kept for 5-15 minutes more (jittered) with a warning, and refreshing goes on. An answer that
///   is too large or unreadable is an invalid response, not unreachability: it never engages
///   static stability.
/// - Credentials that have already expired when IMDS hands them out, or expire within 10 s (IMDS
///   cannot refresh them), are kept 5-15 minutes more as the SDKs keep them, with a warning; while
///   earlier credentials (possibly kept by static stability) are still good, those are served
///   instead; ones AWS has refused are an invalid response.
/// - Expiry is taken by this host's clock: when IMDS's `Date` header is 30 s or more away from it,
///   the expiry is moved by the difference, with a warning.
public final class IMDSCredentialSource: CredentialSource {
    public static let tokenTTLSeconds = 21_600
    public static let maxResponseBytes = 64 * 1024
    static let tokenPath = "/latest/api/token"
    static let rolePath = "/latest/meta-data/iam/security-credentials/"

    public let name = "imds"
    public let endpoint: String
    public let isDisabled: Bool

    private let http: any HTTPClient
    private let clock: any WallClock
    private let jitter: @Sendable () -> Double
    private let maxAttempts: Int
    private let state = Mutex<State>(State())

    struct State {
        var token: (value: String, validUntil: Date)?
        var lastCredentials: Credentials?
        /// The access key id of the last credentials AWS refused: handed out again expired, they
        /// are not kept a while longer.
        var refusedAccessKeyID: String?
        /// The key whose refusal was last warned of: IMDS hands it out again at every fetch (one
        /// a second while tasks wait, through an outage of hours), and one line says it all.
        var refusalWarnedFor: String?
        /// The clock difference last warned of, in seconds (nil: none now): said again only when
        /// it moves by the threshold, not at every fetch.
        var warnedSkew: Int?
        /// Why the credentials last handed to the cache are kept past their expiry
        /// (``degradation``); nil once IMDS gives good ones.
        var degradation: String?
    }

    public var degradation: String? { state.withLock { $0.degradation } }

    public init(
        http: any HTTPClient,
        endpoint: String = "http://169.254.169.254",
        environment: [String: String] = [:],
        clock: any WallClock = SystemWallClock(),
        maxAttempts: Int = 3,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base
        self.isDisabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        self.http = http
        self.clock = clock
        self.maxAttempts = max(1, maxAttempts)
        self.jitter = jitter
    }

    public func fetch(logger: Logger) async throws(AWSError) -> Credentials {
        guard !isDisabled else {
            throw AWSError.credentials("IMDS is turned off by AWS_EC2_METADATA_DISABLED", retryable: false)
        }
        do throws(AWSError) {
            let role: String
            do {
                role = try await get(Self.rolePath, logger: logger)
            } catch  where error.code == .instanceRoleNotFound {
                // How EC2's IMDS answers an instance without an instance profile.
                var failure = error
                failure.message += " (is an instance profile attached?)"
                throw failure
            }
            guard let roleName = role.split(whereSeparator: \.isNewline).first.map(String.init), !roleName.isEmpty
            else {
                throw AWSError.credentials(
                    "IMDS lists no instance role (is an instance profile attached?)", retryable: false)
            }
            // Shown in the messages that follow (the journal, status): only a name IAM allows.
            guard AssumeRoleCredentials.isRoleName(roleName[...]) else {
                throw AWSError.credentials(
                    "IMDS listed an instance role whose name (\(roleName.utf8.count) bytes) IAM does not allow: 1-64 of "
                        + "A-Z a-z 0-9 + = , . @ _ - (is [aws] imds_endpoint the instance's IMDS?)",
                    retryable: false)
            }
            let requested = clock.now()
            let answer = try await response(Self.rolePath + roleName, logger: logger)
            var credentials = try Self.parseCredentials(String(decoding: answer.body, as: UTF8.self))
            credentials.expiration = credentials.expiration.map {
                localExpiration($0, serverDate: answer.headers["Date"], requested: requested, logger: logger)
            }
            if let expiration = credentials.expiration, expiration <= clock.now().addingTimeInterval(Self.expiryMargin)
            {
                return try heldInsteadOfExpired(credentials, expiration: expiration, logger: logger)
            }
            state.withLock { state in
                state.lastCredentials = credentials
                state.degradation = nil
            }
            return credentials
        } catch {
            if let extended = staticallyStable(after: error, logger: logger) { return extended }
            throw error
        }
    }

    /// AWS refused the credentials of `accessKeyID`: the token goes; the key is remembered as
    /// refused (handed out again expired, it is not kept); and the credentials kept for static
    /// stability go if they are that key's (an unreachable IMDS must not bring back a key AWS just
    /// refused), not newer ones a refresh brought meanwhile.
    public func invalidate(accessKeyID: String) async {
        state.withLock { state in
            state.token = nil
            state.refusedAccessKeyID = accessKeyID
            if state.lastCredentials?.accessKeyId == accessKeyID { state.lastCredentials = nil }
        }
    }

    /// Credentials that expire within this many seconds of their arrival are treated as expired
    /// already (``RefreshPolicy/expirySafetyMargin``): a request signed with them could outlive
    /// them, and a cache would fetch them again at every call.
    static let expiryMargin = RefreshPolicy.expirySafetyMargin

    /// A clock difference this large between IMDS's `Date` and this host is corrected for.
    /// Smaller ones are noise: `Date` has whole seconds and the margin covers them.
    static let skewThreshold: TimeInterval = 30

    /// `expiration` (IMDS's clock, which is AWS's) by this host's clock: IMDS's `Date` header
    /// tells how far apart the two are. A host whose clock runs an hour ahead would otherwise
    /// refuse fresh credentials as expired, and one running behind would use them past their end.
    private func localExpiration(_ expiration: Date, serverDate: String?, requested: Date, logger: Logger) -> Date {
        guard let serverDate, let server = HTTPDate.parse(serverDate) else { return expiration }
        let now = clock.now()
        // The answer was made between the request and now: its midpoint is the best guess.
        let local = requested.addingTimeInterval(now.timeIntervalSince(requested) / 2)
        let skew = server.timeIntervalSince(local)
        guard abs(skew) >= Self.skewThreshold else {
            state.withLock { $0.warnedSkew = nil }
            return expiration
        }
        let corrected = expiration.addingTimeInterval(-skew)
        let seconds = Int(skew.rounded())
        let warn = state.withLock { state in
            guard state.warnedSkew.map({ abs($0 - seconds) >= Int(Self.skewThreshold) }) ?? true else { return false }
            state.warnedSkew = seconds
            return true
        }
        guard warn else { return corrected }
        logger.warning(
            """
            this host's clock is \(Int(abs(skew).rounded())) s \(skew < 0 ? "ahead of" : "behind") IMDS's; the \
            instance credentials' expiry \(Timestamp.format(expiration)) is taken as \(Timestamp.format(corrected)) \
            by this host's clock (is its time synchronized?)
            """,
            metadata: [
                "event": "imds-clock-skew", "credential_source": "imds", "skew_seconds": "\(Int(skew.rounded()))",
            ])
        return corrected
    }

    /// IMDS handed out credentials that expired at `expiration` (or expire within the margin):
    /// the earlier ones if they are still good (as they are while static stability keeps them);
    /// else these, kept 5-15 minutes more (static stability, as the AWS SDKs do: IMDS answers so
    /// when it cannot refresh them, and AWS accepts instance credentials for a while past their
    /// stated expiry), unless AWS has refused them: then an invalid response.
    private func heldInsteadOfExpired(
        _ credentials: Credentials, expiration: Date, logger: Logger
    ) throws(AWSError) -> Credentials {
        let now = clock.now()
        let when = Self.expiry(expiration, now: now)
        let decision = state.withLock { state -> (held: Credentials?, extended: Credentials?) in
            if let held = state.lastCredentials, let heldUntil = held.expiration,
                heldUntil > now.addingTimeInterval(Self.expiryMargin)
            {
                return (held, nil)
            }
            return (nil, keptAWhile(credentials, now: now, in: &state))
        }
        // The same key kept earlier (a refresh ahead of its new end): nothing new to say.
        if let held = decision.held, held.accessKeyId == credentials.accessKeyId { return held }
        if let held = decision.held {
            logger.warning(
                """
                IMDS handed out credentials that \(when); keeping the earlier ones, good until \
                \(Timestamp.format(held.expiration ?? now))
                """,
                metadata: ["event": "imds-expired-credentials", "credential_source": "imds"])
            degraded(
                "IMDS hands out expired credentials (it cannot refresh them); the earlier ones, still good, are kept")
            return held
        }
        if let extended = decision.extended {
            let extra = Int((extended.expiration ?? now).timeIntervalSince(now).rounded())
            degraded("IMDS handed out credentials that \(when) (it cannot refresh them); kept past their expiry")
            logger.warning(
                """
                IMDS handed out credentials that \(when) (it cannot refresh them); keeping them for \(extra) s more, \
                as AWS accepts them a while past their expiry
                """,
                metadata: [
                    "event": "static-stability-engaged", "credential_source": "imds",
                    "error_code": "\(AWSError.Code.invalidResponse)",
                ])
            return extended
        }
        let warn = state.withLock { state in
            guard state.refusalWarnedFor != credentials.accessKeyId else { return false }
            state.refusalWarnedFor = credentials.accessKeyId
            return true
        }
        if warn {
            logger.warning(
                "IMDS handed out credentials that \(when), which AWS has refused; they are refused",
                metadata: [
                    "event": "imds-expired-credentials", "credential_source": "imds",
                    "error_code": "\(AWSError.Code.invalidResponse)",
                ])
        }
        throw AWSError(
            kind: .invalidResponse, code: .invalidResponse,
            message:
                "IMDS handed out instance credentials that \(when) (\(Timestamp.format(expiration))), and AWS has refused them",
            retryable: true)
    }

    /// How long static stability keeps expired credentials: 5 minutes, and up to 10 more at
    /// random (`jitter` in `0..<1`), so that a fleet does not come back to IMDS at once.
    static func staticStabilityExtension(_ jitter: Double) -> TimeInterval {
        5 * 60 + jitter * 10 * 60
    }

    /// "expired 5 s ago" or "expire in 4 s".
    private static func expiry(_ expiration: Date, now: Date) -> String {
        let seconds = expiration.timeIntervalSince(now)
        return seconds <= 0
            ? "expired \(Int((-seconds).rounded(.up))) s ago" : "expire in \(Int(seconds.rounded(.down))) s"
    }

    /// Keeps expired credentials a little longer when IMDS is unreachable or answers "not now"
    /// (``isPassing(status:)``) rather than failing
    /// every task at once; AWS accepts instance credentials for a while past their stated expiry.
    private func staticallyStable(after error: AWSError, logger: Logger) -> Credentials? {
        guard error.kind == .transport || Self.isPassing(status: error.httpStatus ?? 0) else { return nil }
        let now = clock.now()
        let kept = state.withLock { state -> Credentials? in
            guard let last = state.lastCredentials, let expiration = last.expiration,
                expiration <= now.addingTimeInterval(10)
            else {
                return nil
            }
            return keptAWhile(last, now: now, in: &state)
        }
        guard let kept else { return nil }
        // Reached but failing (5xx, 429: throttled) is not the metadata options' to mend.
        let why =
            error.kind == .transport && error.httpStatus == nil
            ? "unreachable" : "answered HTTP \(error.httpStatus ?? 0)"
        degraded("IMDS \(why) (\(error.code)); the instance credentials are kept past their expiry")
        logger.warning(
            "IMDS \(why) as the instance credentials expire; keeping them for \(Int((kept.expiration ?? now).timeIntervalSince(now).rounded())) s more",
            metadata: [
                "event": "static-stability-engaged", "credential_source": "imds", "error_code": "\(error.code)",
            ]
        )
        return kept
    }

    /// Static stability (or earlier credentials kept) serves the next fetch: `reason` is the
    /// source's ``degradation`` until IMDS gives good credentials again.
    private func degraded(_ reason: String) {
        state.withLock { $0.degradation = "static stability: " + reason }
    }

    /// Static stability's one rule, whichever way IMDS failed: `credentials` kept 5-15 minutes
    /// more (``staticStabilityExtension(_:)``) as the last ones, unless AWS refused their key (nil).
    private func keptAWhile(_ credentials: Credentials, now: Date, in state: inout State) -> Credentials? {
        guard credentials.accessKeyId != state.refusedAccessKeyID else { return nil }
        var kept = credentials
        kept.expiration = now.addingTimeInterval(Self.staticStabilityExtension(jitter()))
        state.lastCredentials = kept
        return kept
    }

    /// A GET with the session token, its body as text.
    private func get(_ path: String, logger: Logger) async throws(AWSError) -> String {
        String(decoding: try await response(path, logger: logger).body, as: UTF8.self)
    }

    /// A GET with the session token; a 401 drops the token and tries once more with a new one.
    private func response(_ path: String, logger: Logger) async throws(AWSError) -> HTTPResponse {
        var refreshedToken = false
        while true {
            let token = try await sessionToken(logger: logger)
            let response = try await send(
                HTTPRequest(
                    method: "GET", url: endpoint + path, headers: ["X-aws-ec2-metadata-token": token],
                    options: Self.options)
            )
            if response.status == 401, !refreshedToken {
                refreshedToken = true
                state.withLock { $0.token = nil }
                continue
            }
            guard response.status == 200 else {
                throw AWSError(
                    kind: .service,
                    code: response.status == 404 ? .instanceRoleNotFound : .imdsError,
                    message: "IMDS answered \(response.status) for \(path)",
                    httpStatus: response.status,
                    retryable: Self.isPassing(status: response.status)
                )
            }
            return response
        }
    }

    private func sessionToken(logger: Logger) async throws(AWSError) -> String {
        let now = clock.now()
        if let token = state.withLock({ $0.token }), token.validUntil > now { return token.value }
        let response = try await send(
            HTTPRequest(
                method: "PUT",
                url: endpoint + Self.tokenPath,
                headers: ["X-aws-ec2-metadata-token-ttl-seconds": "\(Self.tokenTTLSeconds)"],
                options: Self.options
            )
        )
        guard response.status == 200, !response.body.isEmpty else {
            throw AWSError(
                kind: Self.isPassing(status: response.status) ? .transport : .service,
                code: .imdsTokenUnavailable,
                message:
                    "IMDS refused a session token (HTTP \(response.status)\(Self.tokenRefusalHint(status: response.status))); IMDSv1 is never used",
                httpStatus: response.status,
                retryable: Self.isPassing(status: response.status)
            )
        }
        // What IMDS says the token lasts, if it is a lifetime IMDS could give (1 s to 6 h): a
        // zero, negative or non-finite one would make every GET ask for a token again.
        let ttl =
            response.headers["X-aws-ec2-metadata-token-ttl-seconds"].flatMap(Double.init)
            .flatMap { (1...Double(Self.tokenTTLSeconds)).contains($0) ? $0 : nil }
            ?? Double(Self.tokenTTLSeconds)
        let buffer = min(ttl / 10, 300)
        // Sent back in a header: a token with a line break (an emulator's trailing newline) could
        // never be sent, and cached it would fail every request for hours, each as if IMDS were
        // unreachable. IMDS's own tokens are base64: anything but printable ASCII without spaces
        // is no token.
        guard response.body.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw AWSError(
                kind: .service, code: .imdsTokenUnavailable,
                message: "IMDS answered the session token request with \(response.body.count) bytes that are not a "
                    + "token (only printable ASCII without spaces is: IMDS's tokens are base64); IMDSv1 is never used",
                httpStatus: response.status, retryable: false)
        }
        let token = String(decoding: response.body, as: UTF8.self)
        state.withLock { $0.token = (token, now.addingTimeInterval(ttl - buffer)) }
        return token
    }

    /// An answer that says "not now" rather than "no": a 5xx, or 429 (IMDS throttles a host
    /// that asks too often). Retried, and static stability applies.
    static func isPassing(status: Int) -> Bool {
        status >= 500 || status == 429
    }

    /// Sends with bounded retries on 5xx, 429 and transport failures.
    private func send(_ request: HTTPRequest) async throws(AWSError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await http.execute(request)
                if Self.isPassing(status: response.status), attempt < maxAttempts {
                    try? await Task.sleep(for: .milliseconds(Int(50 * Double(attempt) * (1 + jitter()))))
                    continue
                }
                return response
            } catch {
                // The HTTP client closed under the call (the delegate stopping): no outage of
                // IMDS's, and nothing to try again.
                if error.code == .cancelled { throw AWSError.cancelled(attempts: attempt) }
                if let unusable = AWSError.unusableAnswer(
                    error, endpoint: "IMDS at \(endpoint)", maxResponseBytes: Self.maxResponseBytes,
                    setting: "imds_endpoint's", suspect: "is imds_endpoint IMDS?")
                {
                    // IMDS, or what answers on imds_endpoint, is reachable: a wrong endpoint, not an outage.
                    throw unusable
                }
                if error.isTransient, !error.isTimeout, attempt < maxAttempts {
                    try? await Task.sleep(for: .milliseconds(Int(50 * Double(attempt) * (1 + jitter()))))
                    continue
                }
                // A token's answer lost on its way (a container behind the instance's default
                // hop limit of 1) looks like this: no answer in time.
                let hint = error.isTimeout ? Self.timeoutHint : ""
                throw AWSError(
                    kind: .transport,
                    code: .endpointUnreachable,
                    message: "IMDS at \(endpoint) could not be reached: \(error.message)\(hint)",
                    retryable: true,
                    transportError: error
                )
            }
        }
    }

    /// What a refused token request most likely means: IMDS answers 403 when it is turned off on
    /// the instance, or when the request came through a proxy (`X-Forwarded-For`).
    static func tokenRefusalHint(status: Int) -> String {
        status == 403
            ? ": the instance's metadata service is turned off (aws ec2 modify-instance-metadata-options --instance-id ID --http-endpoint enabled), or the request came through a proxy"
            : ""
    }

    /// Said with a timeout: what makes IMDS's answers not come back on EC2.
    static let timeoutHint =
        " (on EC2, in a container or a network namespace the instance's metadata response hop limit must be 2 or more: aws ec2 modify-instance-metadata-options --instance-id ID --http-put-response-hop-limit 2)"

    static let options = HTTPRequestOptions(
        connectTimeout: .seconds(1),
        totalTimeout: .seconds(2),
        maxResponseBytes: maxResponseBytes,
        bypassProxy: true
    )

    struct CredentialsDocument: Decodable {
        var Code: String?
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
    }

    static func parseCredentials(_ text: String) throws(AWSError) -> Credentials {
        guard let document = try? JSONDecoder().decode(CredentialsDocument.self, from: Data(text.utf8)) else {
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse, message: "IMDS credentials are not valid JSON")
        }
        guard document.Code == "Success" else {
            // IMDS's text, bounded: it goes into results and the journal.
            let code = document.Code.map { $0.count > 64 ? String($0.prefix(64)) + "..." : $0 } ?? "missing"
            throw AWSError.credentials("IMDS reports the instance credentials as '\(code)', not Success")
        }
        guard let id = document.AccessKeyId, let secret = document.SecretAccessKey, !id.isEmpty, !secret.isEmpty,
            let expirationText = document.Expiration, let expiration = Timestamp.parse(expirationText)
        else {
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse, message: "IMDS credentials lack a key or an expiration"
            )
        }
        // An empty token would be sent as an empty X-Amz-Security-Token header and fail signing.
        let token = document.Token.flatMap { $0.isEmpty ? nil : $0 }
        let credentials = Credentials(
            accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
        if let problem = CredentialText.problem(in: credentials, names: ("AccessKeyId", "SecretAccessKey", "Token")) {
            throw AWSError(kind: .invalidResponse, code: .invalidResponse, message: "IMDS credentials' \(problem)")
        }
        return credentials
    }
}
