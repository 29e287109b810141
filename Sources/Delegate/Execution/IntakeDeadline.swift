/// An intake's own time limit on the tasks it runs, told apart from a stop: both reach a task as
/// cancellation. The credentials socket sets it around a read (``CredentialIntake``): the server
/// gives up on a request not answered in its time and cancels the read, and the read's result
/// and the executor's line then say `DeadlineExceeded` with this message, not `DelegateStopping`.
///
/// The task-local holds this class, not the closure itself: a task-local of a function type
/// crashed the release build (`swift_task_localValuePush`, Swift 6.3, seen by the booted tier).
final class IntakeDeadline: Sendable {
    /// The deadline of the intake running the current task, if it has one.
    @TaskLocal static var current: IntakeDeadline?

    private let message: String
    private let hasPassed: @Sendable () -> Bool

    /// - Parameters:
    ///   - message: the cancelled task's error message.
    ///   - hasPassed: whether the intake's limit is what cancelled it (read when the cancellation
    ///     is seen).
    init(message: String, hasPassed: @escaping @Sendable () -> Bool) {
        self.message = message
        self.hasPassed = hasPassed
    }

    /// The message for a cancellation of the current task if its intake's limit is what cancelled
    /// it; nil, or no intake deadline, for a stop.
    static var passed: String? {
        guard let current, current.hasPassed() else { return nil }
        return current.message
    }
}
