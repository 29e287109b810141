/// Why a task was refused before any AWS call; it becomes a `rejected` result.
///
/// The message says exactly what is wrong (`params.name is required for getSecretValue`) and
/// never holds a secret value: fields are named, their contents are not quoted (secret names
/// are, since they are not secret).
public struct TaskRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case invalidTask = "InvalidTask"
        case invalidSecretName = "InvalidSecretName"
        /// The task asks for a sealed result (`sealTo`) and this delegate cannot seal.
        case sealingFailed = "SealingFailed"
        /// See `TaskFailure.Code.duplicateTask`.
        case duplicateTask = "DuplicateTask"
        /// The task's connector may not be used for this operation or by this principal, or the
        /// task carries an inline connector where they are turned off (section 9).
        case notAuthorized = "NotAuthorized"
        /// The connector requires sealed results and the task has no `sealTo` (section 13).
        case sealingRequired = "SealingRequired"
    }

    public let code: Code
    public let message: String
    /// The task's id if it could be read (or the spool default), for the result.
    public let taskID: String?
    /// The operation if the task named a known one.
    public let operation: String?
    /// The connector id if it could be read.
    public let connectorID: String?

    public init(
        code: Code, message: String, taskID: String? = nil, operation: String? = nil, connectorID: String? = nil
    ) {
        self.code = code
        self.message = message
        self.taskID = taskID
        self.operation = operation
        self.connectorID = connectorID
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
