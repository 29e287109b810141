import Foundation
import HTTP

/// What `LoopbackHTTPServer` does with one request: answer (possibly late), or hang up.
public struct ScriptedResponse: Sendable {
    public var status: Int
    /// Reason phrase; a standard one is used when nil.
    public var reason: String?
    /// Sent as given. `Content-Length` is added unless present or `omitContentLength` is set.
    public var headers: HTTPHeaders
    public var body: Data
    /// Wait this long before answering (or hanging up). The server thread is not blocked.
    public var delay: Duration
    /// Close the connection without writing anything (after `delay`).
    public var closeWithoutResponse: Bool
    /// Close the connection after this response (also implied by `omitContentLength`).
    public var closeAfterResponse: Bool
    /// Send no `Content-Length`: the body is delimited by closing the connection.
    public var omitContentLength: Bool

    public init(
        status: Int = 200,
        reason: String? = nil,
        headers: HTTPHeaders = [:],
        body: Data = Data(),
        delay: Duration = .zero,
        closeAfterResponse: Bool = false,
        omitContentLength: Bool = false
    ) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.delay = delay
        self.closeWithoutResponse = false
        self.closeAfterResponse = closeAfterResponse
        self.omitContentLength = omitContentLength
    }

    /// A response with a UTF-8 text body.
    public init(status: Int = 200, headers: HTTPHeaders = [:], body: String, delay: Duration = .zero) {
        self.init(status: status, headers: headers, body: Data(body.utf8), delay: delay)
    }

    /// Hang up on the client without answering, after `delay`.
    public static func closeConnection(after delay: Duration = .zero) -> ScriptedResponse {
        var response = ScriptedResponse(status: 0, delay: delay)
        response.closeWithoutResponse = true
        return response
    }
}
