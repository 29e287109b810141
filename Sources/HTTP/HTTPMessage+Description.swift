/// What a request or an answer says of itself when interpolated: never a header's value or the
/// body. A request's headers carry the signature, a session token and an IMDS token, its body a
/// secret value being written; an answer's body a secret value read. (No log line prints one
/// today; this keeps a careless `"\(request)"` from being the first.)
extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "\(method) \(url) (header fields \(headers.fields.map(\.name).joined(separator: ", ")); \(body.count) body bytes)"
    }

    public var debugDescription: String { description }
}

extension HTTPResponse: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "HTTP \(status) (header fields \(headers.fields.map(\.name).joined(separator: ", ")); \(body.count) body bytes)"
    }

    public var debugDescription: String { description }
}
