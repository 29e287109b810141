/// An intake's own time limit on the tasks it runs, told apart from a stop: both reach a task as
/// cancellation. The credentials socket sets it around a read (``CredentialIntake``): the server
/// gives up on a request not answered in its time and cancels the read, and the read's result
/// and the executor's line then say `DeadlineExceeded` with this message, not `DelegateStopping`.
enum IntakeDeadline {
    /// The message for a cancellation if the intake's limit is what cancelled the task (read when
    /// the cancellation is seen); nil, or none set, for a stop.
    @TaskLocal static var passed: (@Sendable () -> String?)?
}
