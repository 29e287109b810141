import Foundation
import HTTP

/// A request as `ScriptedHTTPClient` received it, with the parts tests assert on.
///
/// Its `description` names the method, URL and `X-Amz-Target` only: headers (the signature,
/// a session token) and the body (a secret value) never reach test output through it.
public struct SentRequest: Sendable, CustomStringConvertible {
    public let request: HTTPRequest

    public init(_ request: HTTPRequest) {
        self.request = request
    }

    public var method: String { request.method }
    public var url: String { request.url }
    public var headers: HTTPHeaders { request.headers }
    public var body: Data { request.body }
    /// The body as UTF-8 text (invalid bytes replaced).
    public var bodyText: String { String(decoding: request.body, as: UTF8.self) }
    /// The body as a JSON object; nil when it is not one.
    public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] }
    /// The `X-Amz-Target` header.
    public var target: String? { request.headers["X-Amz-Target"] }
    /// The action after the `X-Amz-Target` prefix (`GetSecretValue`), or "".
    public var action: String { String((target ?? "").split(separator: ".").last ?? "") }
    public var host: String? { URLComponents(string: request.url)?.host }
    /// The path without the query; "/" when the URL has none.
    public var path: String {
        let path = URLComponents(string: request.url)?.path ?? ""
        return path.isEmpty ? "/" : path
    }

    public var description: String {
        "\(method) \(url)" + (target.map { " (\($0))" } ?? "")
    }
}
