import AWSCore
import JSON
import struct FoundationEssentials.Date

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
            error: TaskFailure(code: rejection.code, message: rejection.message, retryable: rejection.retryable))
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
                code: .notSelected, message: decision.message(delegateName: delegate),
                retryable: false))
    }

    /// The result as one line of compact JSON (no trailing newline): keys in the spec's order,
    /// nested objects with sorted keys, so equal results are equal bytes.
    public var jsonLine: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// ``jsonLine`` as UTF-8 bytes, as the socket and the spool write it.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
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
        // A timestamp is ASCII digits and separators: nothing in it is escaped.
        func timestamp(_ date: Date) {
            out.append(UInt8(ascii: "\""))
            Timestamp.append(date, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        key("receivedAt")
        timestamp(receivedAt)
        key("finishedAt")
        timestamp(finishedAt)
        key("attempts")
        out.append(contentsOf: String(attempts).utf8)
        if cached {
            key("cached")
            out.append(contentsOf: "true".utf8)
        }
        if stale {
            key("stale")
            out.append(contentsOf: "true".utf8)
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
        out.append(UInt8(ascii: "}"))
        return out
    }
}
