import JSON

/// The `error` of a result: an AWS error code as AWS names it, or one of the delegate's own
/// (see ``Code``). The message never holds a secret value.
public struct TaskFailure: Sendable, Equatable, Codable {
    public var code: Code
    public var message: String
    /// Whether running the same task again later may succeed.
    public var retryable: Bool
    public var awsRequestId: String?

    public init(code: Code, message: String, retryable: Bool, awsRequestId: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.awsRequestId = awsRequestId
    }

    var jsonValue: JSONValue {
        var object: JSONObject = [
            "code": .string(code.rawValue), "message": .string(message), "retryable": .bool(retryable),
        ]
        if let awsRequestId { object["awsRequestId"] = .string(awsRequestId) }
        return .object(object)
    }
}
