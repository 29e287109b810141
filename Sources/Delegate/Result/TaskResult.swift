import AWSCore
import struct Foundation.Date

/// What the delegate hands back for one task (docs/INTERFACE.md section 4): written to
/// `done/<id>.json` for the spool and as one line on the socket.
public struct TaskResult: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, Equatable {
        case succeeded
        case failed
        /// The task itself is invalid, or (on the socket) not for this delegate.
        case rejected
    }

    /// The task's id; nil only for a rejected task whose id could not be read at all.
    public var id: String?
    public var status: Status
    /// The operation's name; nil when a rejected task named none (or an unknown one).
    public var operation: String?
    public var connectorId: String?
    /// The name of the delegate that produced the result.
    public var delegate: String
    public var receivedAt: Date
    public var finishedAt: Date
    /// AWS calls attempted for the task (0 when it was rejected before any call).
    public var attempts: Int
    /// The result came from a named connector's read cache, not a GetSecretValue call (section
    /// 14); written only when true, next to `attempts`, so it stays readable when `result` is sealed.
    public var cached = false
    /// A cached result served past its TTL because Secrets Manager was unreachable (with `cached`).
    public var stale = false
    /// The operation's result, for `succeeded`.
    public var result: JSONValue?
    /// `result` sealed to the task's `sealTo` key, in its place (section 13).
    public var sealed: SealedResult?
    /// Why the task failed or was rejected.
    public var error: TaskFailure?

    public init(
        id: String?, status: Status, operation: String?, connectorId: String?, delegate: String,
        receivedAt: Date, finishedAt: Date, attempts: Int, result: JSONValue? = nil, error: TaskFailure? = nil,
        sealed: SealedResult? = nil
    ) {
        self.id = id
        self.status = status
        self.operation = operation
        self.connectorId = connectorId
        self.delegate = delegate
        self.receivedAt = receivedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.result = result
        self.error = error
        self.sealed = sealed
    }

    /// The `rejected` result for a task that failed validation.
    public static func rejected(
        _ rejection: TaskRejection, delegate: String, receivedAt: Date, finishedAt: Date
    ) -> TaskResult {
        TaskResult(
            id: rejection.taskID, status: .rejected, operation: rejection.operation,
            connectorId: rejection.connectorID, delegate: delegate, receivedAt: receivedAt, finishedAt: finishedAt,
            attempts: 0,
            error: TaskFailure(code: rejection.code.rawValue, message: rejection.message, retryable: false))
    }

    /// The `rejected` result for a task that is not for this delegate (on the socket; in the
    /// spool such a task is left for another delegate instead).
    public static func notSelected(
        taskID: String?, operation: String?, connectorId: String?, decision: SelectionDecision, delegate: String,
        receivedAt: Date, finishedAt: Date
    ) -> TaskResult {
        TaskResult(
            id: taskID, status: .rejected, operation: operation, connectorId: connectorId, delegate: delegate,
            receivedAt: receivedAt, finishedAt: finishedAt, attempts: 0,
            error: TaskFailure(
                code: TaskFailure.Code.notSelected.rawValue, message: decision.message(delegateName: delegate),
                retryable: false))
    }

    /// The result as one line of compact JSON (no trailing newline): keys in the spec's order,
    /// nested objects with sorted keys, so equal results are equal bytes.
    public var jsonLine: String {
        var out = "{"
        var first = true
        func key(_ name: String) {
            if !first { out += "," }
            first = false
            JSONValue.writeString(name, into: &out)
            out += ":"
        }
        if let id {
            key("id")
            JSONValue.writeString(id, into: &out)
        }
        key("status")
        JSONValue.writeString(status.rawValue, into: &out)
        if let operation {
            key("operation")
            JSONValue.writeString(operation, into: &out)
        }
        if let connectorId {
            key("connectorId")
            JSONValue.writeString(connectorId, into: &out)
        }
        key("delegate")
        JSONValue.writeString(delegate, into: &out)
        key("receivedAt")
        JSONValue.writeString(Timestamp.format(receivedAt), into: &out)
        key("finishedAt")
        JSONValue.writeString(Timestamp.format(finishedAt), into: &out)
        key("attempts")
        out += String(attempts)
        if cached {
            key("cached")
            out += "true"
        }
        if stale {
            key("stale")
            out += "true"
        }
        if let result {
            key("result")
            result.write(into: &out)
        }
        if let sealed {
            key("sealed")
            sealed.jsonValue.write(into: &out)
        }
        if let error {
            key("error")
            error.jsonValue.write(into: &out)
        }
        return out + "}"
    }
}

/// The `error` of a result: an AWS error code as AWS names it, or one of the delegate's own
/// (`InvalidTask`, `InvalidSecretName`, `NotSelected`, `CredentialsUnavailable`,
/// `DeadlineExceeded`, `EndpointUnreachable`, `DelegateStopping`, `SealingFailed`). The message
/// never holds a secret value.
public struct TaskFailure: Sendable, Equatable, Codable {
    public var code: String
    public var message: String
    /// Whether running the same task again later may succeed.
    public var retryable: Bool
    public var awsRequestId: String?

    public init(code: String, message: String, retryable: Bool, awsRequestId: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.awsRequestId = awsRequestId
    }

    /// The delegate's own error codes.
    public enum Code: String, Sendable, CaseIterable {
        case invalidTask = "InvalidTask"
        case invalidSecretName = "InvalidSecretName"
        case notSelected = "NotSelected"
        case credentialsUnavailable = "CredentialsUnavailable"
        case deadlineExceeded = "DeadlineExceeded"
        case endpointUnreachable = "EndpointUnreachable"
        /// The delegate stopped before it could run (or finish) the task; submit it again.
        case delegateStopping = "DelegateStopping"
        /// The operation ran but its result could not be sealed to the task's `sealTo` key
        /// (OpenSSL lacks X25519 or ChaCha20-Poly1305, say, under a FIPS-only provider); the
        /// result is withheld rather than written in the clear.
        case sealingFailed = "SealingFailed"
        /// A spool task whose id names a result still waiting in `done/`. The first result is
        /// kept; the code appears in the journal only, since a result for the second task could
        /// only be written by replacing the first.
        case duplicateTask = "DuplicateTask"
        /// An SQS task whose result is larger than an SQS message holds (256 KiB): the operation
        /// ran (a write took effect), its result is replaced by this failure so that the task
        /// message can be answered and deleted instead of running again after every lease.
        case resultTooLarge = "ResultTooLarge"
    }

    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "code": .string(code), "message": .string(message), "retryable": .bool(retryable),
        ]
        if let awsRequestId { object["awsRequestId"] = .string(awsRequestId) }
        return .object(object)
    }
}
