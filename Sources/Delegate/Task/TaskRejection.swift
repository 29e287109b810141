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

    public init(
        code: TaskFailure.Code, message: String, taskID: String? = nil, operation: String? = nil,
        connectorID: String? = nil
    ) {
        self.code = code
        self.message = message
        self.taskID = taskID
        self.operation = operation
        self.connectorID = connectorID
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
