import AWSCore
import Foundation
import HTTP
import SigV4
import Synchronization

/// A strict EC2 instance metadata service (IMDSv2 only) on 127.0.0.1, for credential tests.
///
/// Strict where the real IMDS is, so that a client passing against it is an IMDSv2 client:
/// - `PUT /latest/api/token` needs `X-aws-ec2-metadata-token-ttl-seconds` in 1...21600 (else 400);
/// - every `GET` needs a live `X-aws-ec2-metadata-token`, one handed out and not past its TTL
///   (else 401: no IMDSv1 fallback);
/// - any request with `X-Forwarded-For` is refused with 403 (IMDS never answers through a proxy).
///
/// It serves the credentials it is given (in tests: keys issued by moto, so that calls signed
/// with them pass moto's signature and IAM checks) with a chosen `Expiration`, counts what it
/// was asked, and can be switched down (it hangs up on every request) or made to fail with 503.
///
/// `Sendable`: all mutable state sits behind one `Mutex`.
public final class IMDSServer: Sendable {
    public static let tokenPath = "/latest/api/token"
    public static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    /// How the server answers.
    public enum Mode: Sendable, Equatable {
        /// Answers as IMDS does.
        case up
        /// Hangs up on every request without answering (an unreachable IMDS).
        case down
        /// Answers every request with 503.
        case failing
        /// Answers every request with 429 (IMDS throttles: too many requests from the host).
        case throttling
        /// Hands out tokens but answers every GET with 401, as if each token were already stale.
        case rejectingTokens
        /// Hands out tokens but answers every GET with a 1 MiB body (a broken or hostile IMDS:
        /// reachable, but no client should read that much).
        case oversized
        /// Answers the role listing with 404, as EC2's IMDS does on an instance without an
        /// instance profile.
        case noInstanceProfile
    }

    /// What the server was asked, by kind.
    public struct Counts: Sendable, Equatable {
        /// Accepted token PUTs (tokens handed out).
        public var tokenPUTs = 0
        /// Successful GETs of the role list.
        public var roleListGETs = 0
        /// Successful GETs of a role's credentials document.
        public var credentialGETs = 0
        /// GETs refused with 401 (no token, or one the server no longer knows).
        public var unauthorized = 0
        /// Requests refused with 400 (token TTL missing or out of range).
        public var badRequests = 0
        /// Requests refused with 403 (`X-Forwarded-For` present).
        public var forbidden = 0
        /// Requests hung up on or answered with 503 because the server was down or failing.
        public var whileDown = 0
        /// GETs answered with an oversized body.
        public var oversized = 0

        public init(
            tokenPUTs: Int = 0, roleListGETs: Int = 0, credentialGETs: Int = 0, unauthorized: Int = 0,
            badRequests: Int = 0, forbidden: Int = 0, whileDown: Int = 0
        ) {
            self.tokenPUTs = tokenPUTs
            self.roleListGETs = roleListGETs
            self.credentialGETs = credentialGETs
            self.unauthorized = unauthorized
            self.badRequests = badRequests
            self.forbidden = forbidden
            self.whileDown = whileDown
        }
    }

    public let roleName: String
    private let server: LoopbackHTTPServer
    private let box: Box

    /// The state, shared by the server's handler and the test's calls.
    private final class Box: Sendable {
        let state: Mutex<State>
        init(_ state: State) { self.state = Mutex(state) }
    }

    struct State {
        var mode: Mode = .up
        var credentials: Credentials
        var expiration: Date
        var code = "Success"
        /// Tokens handed out, with when each expires (by ``clock``).
        var tokens: [String: Date] = [:]
        /// The server's clock, for token TTLs (tests give it their `ManualClock`).
        var clock: @Sendable () -> Date = { Date() }
        /// The longest TTL granted (tests shorten it to see tokens expire).
        var tokenLifetimeCap = 21_600
        var tokenSerial = 0
        var credentialDelay: Duration = .zero
        /// What the `Date` header of the credentials document says (none when nil).
        var date: Date?
        var counts = Counts()
    }

    /// Starts serving `credentials` for `roleName`, with `Expiration` set to `expiration`.
    public init(credentials: Credentials, expiration: Date, roleName: String = "delegate-test-role") throws {
        self.roleName = roleName
        let box = Box(State(credentials: credentials, expiration: expiration))
        self.box = box
        server = try LoopbackHTTPServer { request in
            Self.answer(request, roleName: roleName, state: box.state)
        }
    }

    /// `http://127.0.0.1:<port>`, the endpoint to give `IMDSCredentialSource`.
    public var baseURL: String { server.baseURL }

    /// Connections accepted so far (also counts connections the server hung up on).
    public var connectionsAccepted: Int { server.connectionsAccepted }

    /// Every request received, in order.
    public var recordedRequests: [RecordedRequest] { server.recordedRequests }

    public var counts: Counts { box.state.withLock { $0.counts } }

    public func setMode(_ mode: Mode) {
        box.state.withLock { $0.mode = mode }
    }

    /// Serves `credentials` with `expiration` from now on.
    public func serve(_ credentials: Credentials, expiration: Date) {
        box.state.withLock {
            $0.credentials = credentials
            $0.expiration = expiration
        }
    }

    /// The credentials document's `Code` (IMDS says e.g. `Failed` while it cannot get credentials).
    public func setCode(_ code: String) {
        box.state.withLock { $0.code = code }
    }

    /// Delays every credentials document by `delay` (to hold many callers on one fetch).
    public func setCredentialDelay(_ delay: Duration) {
        box.state.withLock { $0.credentialDelay = delay }
    }

    /// Sends a `Date` header with the credentials document: IMDS's clock reads `date` (nil: no header).
    public func setDate(_ date: Date?) {
        box.state.withLock { $0.date = date }
    }

    /// Grants tokens for at most `seconds` from now on, and says so in the answer's TTL header,
    /// as if that TTL had been asked for (so that tests see a token expire in seconds).
    public func limitTokenLifetime(toSeconds seconds: Int) {
        box.state.withLock { $0.tokenLifetimeCap = seconds }
    }

    /// Judges token TTLs by `clock` from now on (a test's `ManualClock`, shared with the client).
    public func useClock(_ clock: any WallClock) {
        box.state.withLock { $0.clock = { clock.now() } }
    }

    /// Forgets every token handed out, so the next GET with one of them gets 401.
    public func revokeTokens() {
        box.state.withLock { $0.tokens.removeAll() }
    }

    public func stop() {
        server.stop()
    }

    // MARK: Answers (on the server thread)

    private static func answer(_ request: RecordedRequest, roleName: String, state: borrowing Mutex<State>)
        -> ScriptedResponse
    {
        state.withLock { state in
            switch state.mode {
            case .up, .rejectingTokens, .oversized, .noInstanceProfile:
                break
            case .down:
                state.counts.whileDown += 1
                return .closeConnection()
            case .failing:
                state.counts.whileDown += 1
                return ScriptedResponse(status: 503, body: "Service Unavailable")
            case .throttling:
                state.counts.whileDown += 1
                return ScriptedResponse(status: 429, body: "Too Many Requests")
            }
            if request.headers["X-Forwarded-For"] != nil {
                state.counts.forbidden += 1
                return ScriptedResponse(status: 403, body: "Forbidden")
            }
            switch (request.method, request.path) {
            case ("PUT", tokenPath):
                guard let ttlText = request.headers["X-aws-ec2-metadata-token-ttl-seconds"],
                    let ttl = Int(ttlText.trimmingCharacters(in: .whitespaces)), (1...21_600).contains(ttl)
                else {
                    state.counts.badRequests += 1
                    return ScriptedResponse(status: 400, body: "Bad Request")
                }
                state.tokenSerial += 1
                let token = "imds-token-\(state.tokenSerial)-\(UUID().uuidString)"
                let granted = min(ttl, state.tokenLifetimeCap)
                let now = state.clock()
                state.tokens = state.tokens.filter { $0.value > now }
                state.tokens[token] = now.addingTimeInterval(TimeInterval(granted))
                state.counts.tokenPUTs += 1
                return ScriptedResponse(
                    status: 200, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "\(granted)"], body: token)
            case ("GET", _):
                guard let token = request.headers["X-aws-ec2-metadata-token"],
                    let expires = state.tokens[token], expires > state.clock(),
                    state.mode != .rejectingTokens
                else {
                    state.counts.unauthorized += 1
                    return ScriptedResponse(status: 401, body: "Unauthorized")
                }
                if state.mode == .oversized {
                    state.counts.oversized += 1
                    return ScriptedResponse(status: 200, body: Data(repeating: UInt8(ascii: "x"), count: 1 << 20))
                }
                if request.path == credentialsPath, state.mode == .noInstanceProfile {
                    return ScriptedResponse(status: 404, body: "Not Found")
                }
                if request.path == credentialsPath {
                    state.counts.roleListGETs += 1
                    return ScriptedResponse(status: 200, body: roleName)
                }
                if request.path == credentialsPath + roleName {
                    state.counts.credentialGETs += 1
                    return ScriptedResponse(
                        status: 200, headers: state.date.map { ["Date": httpDate($0)] } ?? [:], body: document(state),
                        delay: state.credentialDelay)
                }
                return ScriptedResponse(status: 404, body: "Not Found")
            default:
                return ScriptedResponse(status: 405, body: "Method Not Allowed")
            }
        }
    }

    /// RFC 7231's IMF-fixdate, as servers send `Date`.
    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    private static func document(_ state: State) -> String {
        let formatter = ISO8601DateFormatter()
        let object: [String: String] = [
            "Code": state.code,
            "LastUpdated": formatter.string(from: Date()),
            "Type": "AWS-HMAC",
            "AccessKeyId": state.credentials.accessKeyId,
            "SecretAccessKey": state.credentials.secretAccessKey,
            "Token": state.credentials.sessionToken ?? "",
            "Expiration": formatter.string(from: state.expiration),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
