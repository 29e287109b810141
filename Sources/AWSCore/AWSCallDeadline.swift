/// When the work that makes the current AWS calls must be done (a task's deadline), as the task
/// that runs it knows it: ``AWSClient`` makes no retry whose backoff would end past it, and
/// reports the failure it has instead, since the retry could only end in the deadline's
/// cancellation, which would hide what AWS said (a throttling code, a 5xx and its request id).
///
/// On `SuspendingClock` (`CLOCK_MONOTONIC`), as the deadline watch that cuts the task off counts
/// (``DeadlineWatch``, Dispatch's uptime): across a host suspend `ContinuousClock` would count
/// time the watch does not, and refuse a retry that still fits.
public enum AWSCallDeadline {
    @TaskLocal public static var current: SuspendingClock.Instant?
}
