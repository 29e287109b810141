/// Why a task was refused before any AWS call; it becomes a `rejected` result.
///
/// The message says exactly what is wrong (`params.name is required for getSecretValue`) and
/// never holds a secret value: fields are named, their contents are not quoted (secret names
/// are, since they are not secret).
public struct TaskRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// `.invalidTask`, `.invalidSecretName`, `.sealingFailed`, `.duplicateTask`, `.notAuthorized`
    /// or `.sealingRequired`: the codes of results, declared once.
    public let code: TaskFailure.Code
    public let message: String
    /// The task's id if it could be read (or the spool default), for the result.
    public let taskID: String?
    /// The operation if the task named a known one.
    public let operation: String?
    /// The connector id if it could be read.
    public let connectorID: String?
    /// Whether ``connectorID`` names a configured connector (the task gave a name), not an inline
    /// connector object's id: only those are counted in the status object.
    public let connectorIsNamed: Bool
    /// Whether the same task, sent again later, may be admitted: only where the delegate could
    /// not tell (the user database did not answer for a spool task's owner).
    public var retryable = false

    public init(
        code: TaskFailure.Code, message: String, taskID: String? = nil, operation: String? = nil,
        connectorID: String? = nil, connectorIsNamed: Bool = false
    ) {
        self.code = code
        self.message = message
        self.taskID = taskID
        self.operation = operation
        self.connectorID = connectorID
        self.connectorIsNamed = connectorIsNamed
    }

    /// A rejection of a task that was decoded: its id (or `taskID`), operation and connector.
    public init(code: TaskFailure.Code, message: String, task: DelegateTask, taskID: String? = nil) {
        self.init(
            code: code, message: message, taskID: taskID ?? task.id, operation: task.operation.name.rawValue,
            connectorID: task.connector.id, connectorIsNamed: task.namedConnectorID != nil)
    }

    /// The configured connector this rejection is counted under, if any.
    var namedConnectorID: String? { connectorIsNamed ? connectorID : nil }

    public var description: String { "\(code.rawValue): \(message)" }
}
