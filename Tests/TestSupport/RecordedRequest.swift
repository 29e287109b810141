import Foundation
import HTTP

/// A request as `LoopbackHTTPServer` received it, byte for byte where it matters.
public struct RecordedRequest: Sendable {
    public var method: String
    /// The request-target exactly as sent: `/path?query` normally, the absolute URL when the
    /// client talks to the server as a proxy.
    public var target: String
    /// The protocol version from the request line, e.g. `HTTP/1.1`.
    public var version: String
    public var headers: HTTPHeaders
    public var body: Data
    /// Which accepted connection carried the request (1 for the first one accepted).
    public var connectionNumber: Int

    public init(
        method: String, target: String, version: String, headers: HTTPHeaders, body: Data, connectionNumber: Int
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.connectionNumber = connectionNumber
    }

    /// The body as UTF-8 text (invalid bytes replaced), for assertions.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The path part of `target` (without query), also for absolute-form targets.
    public var path: String {
        var rest = Substring(target)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        return String(rest.prefix { $0 != "?" })
    }
}
