/// When the work that makes the current AWS calls must be done (a task's deadline), as the task
/// that runs it knows it: ``AWSClient`` makes no retry whose backoff would end past it, and
/// reports the failure it has instead, since the retry could only end in the deadline's
/// cancellation, which would hide what AWS said (a throttling code, a 5xx and its request id).
public enum AWSCallDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?
}
