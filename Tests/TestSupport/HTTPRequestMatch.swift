import Foundation
import HTTP

/// Which requests a `ScriptedHTTPClient` script answers (or which recorded ones to count):
/// every field that is set must agree; `.any` fits every request.
public struct HTTPRequestMatch: Sendable {
    public var method: String?
    public var host: String?
    public var path: String?
    /// The `X-Amz-Target` header, e.g. `secretsmanager.GetSecretValue`.
    public var target: String?

    public init(method: String? = nil, host: String? = nil, path: String? = nil, target: String? = nil) {
        self.method = method
        self.host = host
        self.path = path
        self.target = target
    }

    public static let any = HTTPRequestMatch()

    /// Requests whose `X-Amz-Target` is `target`.
    public static func target(_ target: String) -> HTTPRequestMatch { HTTPRequestMatch(target: target) }

    /// Requests to `host` (any port).
    public static func host(_ host: String) -> HTTPRequestMatch { HTTPRequestMatch(host: host) }

    public func matches(_ request: HTTPRequest) -> Bool {
        let sent = SentRequest(request)
        if let method, method != request.method { return false }
        if let host, host != sent.host { return false }
        if let path, path != sent.path { return false }
        if let target, target != sent.target { return false }
        return true
    }
}
