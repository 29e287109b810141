import FoundationEssentials
import HTTP
import SigV4

/// One AWS API call, encoded for its protocol and ready to be signed and sent.
public struct AWSCall: Sendable {
    public enum WireProtocol: Sendable, Equatable {
        /// AWS JSON 1.0 or 1.1 with `X-Amz-Target` (SQS, Secrets Manager).
        case json
        /// The query protocol: form-encoded POST, XML response (STS, IAM).
        case query
    }

    /// The operation's name, for logs and error messages.
    public var operation: String
    public var wireProtocol: WireProtocol
    public var headers: HTTPHeaders
    public var body: Data
    /// Values the request carries that must not reach a log line or error (SQS receipt handles,
    /// which SQS quotes in its error messages): replaced in the call's error messages like the
    /// signing secrets, before the message is cut to its length bound.
    public var sensitiveValues: [String] = []
    /// True for a call that may not be made twice and carries no idempotency token (DeleteSecret,
    /// whose second delivery is refused): each attempt goes on a connection opened for it, so
    /// that libcurl never sends it again unasked and the attempts counted are the attempts made
    /// (``HTTPRequestOptions/freshConnection``).
    public var freshConnectionEachAttempt = false

    /// A JSON call such as `AWSCall.json(targetPrefix: "secretsmanager", operation: "GetSecretValue", body:)`:
    /// JSON 1.1 by default, `jsonVersion: "1.0"` for services on AWS JSON 1.0 (SQS).
    public static func json(targetPrefix: String, operation: String, body: Data, jsonVersion: String = "1.1") -> AWSCall {
        AWSCall(
            operation: operation,
            wireProtocol: .json,
            headers: [
                "Content-Type": "application/x-amz-json-\(jsonVersion)",
                "X-Amz-Target": "\(targetPrefix).\(operation)",
            ],
            body: body
        )
    }

    /// A query-protocol call: `Action=<action>&Version=<version>&<parameters>`, form-encoded.
    public static func query(action: String, version: String, parameters: [(String, String)]) -> AWSCall {
        var pairs = [("Action", action), ("Version", version)]
        pairs.append(contentsOf: parameters)
        let body = pairs.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        return AWSCall(
            operation: action,
            wireProtocol: .query,
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: Data(body.utf8)
        )
    }
}

/// A successful AWS answer.
public struct AWSResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    public var requestId: String?
    /// Attempts it took, the successful one included.
    public var attempts: Int

    public init(status: Int, headers: HTTPHeaders, body: Data, requestId: String?, attempts: Int) {
        self.status = status
        self.headers = headers
        self.body = body
        self.requestId = requestId
        self.attempts = attempts
    }
}
