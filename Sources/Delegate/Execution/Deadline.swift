import AWSCore
import FoundationEssentials
import Synchronization

/// Runs `operation` within what is left of a task's deadline; past it, the operation is
/// cancelled and the result is `DeadlineExceeded`. Cancelling the operation cancels its HTTP
/// transfer, so nothing keeps running in the background.
///
/// A task's deadline counts from when it was received, so time spent waiting for a free slot
/// counts too: the caller passes what is left (`remaining`) and how long the task waited.
enum Deadline {
    /// How long a task received at `receivedAt` has waited by `now` (the injected wall clock's): a
    /// clock stepped backwards counts as no wait. Only the time before the task reached the
    /// dispatcher is counted so (its intake's reading and checks); its wait for a slot is measured
    /// on the monotonic clock and added to this (``TaskDispatcher``), and the executor's deadline
    /// and the watchdog's record of it count from the sum.
    static func waited(since receivedAt: Date, now: Date) -> Duration {
        .seconds(max(0, now.timeIntervalSince(receivedAt)))
    }

    /// - Parameters:
    ///   - seconds: the task's whole deadline, for the message.
    ///   - waited: how long the task waited between being received and starting.
    ///   - remaining: what is left of the deadline; at or below zero, `operation` never starts.
    ///   - watch: the timer that cancels the operation once `remaining` has passed.
    static func run<Value: Sendable>(
        seconds: Int,
        waited: Duration = .zero,
        remaining: Duration,
        watch: DeadlineWatch,
        _ operation: @escaping @Sendable () async throws(AWSError) -> Value
    ) async throws(AWSError) -> Value {
        guard remaining > .zero else { throw passedWhileWaiting(seconds: seconds, waited: waited) }
        // Its own task, so that cancelling it for the deadline leaves the caller's task as it was.
        // The deadline is armed when that task starts: a cooperative pool busy elsewhere delays
        // the start, and an operation must not be cut off before it could send anything.
        let cancellation = DeadlineCancellation()
        let work = Task { () async -> (result: Result<Value, AWSError>, expired: Bool) in
            let ticket = watch.watch(for: remaining) { cancellation.cancel() }
            // AWS calls make no retry that could only be cut off (``AWSCallDeadline``).
            let result = await AWSCallDeadline.$current.withValue(SuspendingClock.now + remaining) {
                await capture(operation)
            }
            // At once: a tick between here and the caller's resumption must not count.
            return (result, watch.finish(ticket))
        }
        cancellation.attach { work.cancel() }
        let (result, expired) = await withTaskCancellationHandler {
            await work.value
        } onCancel: {
            work.cancel()
        }
        switch result {
        case .success(let value):
            // Also when it finished as the deadline passed: its work is done, so it is reported.
            return value
        case .failure(let error) where Task.isCancelled && error.code == .cancelled:
            // Cut off by its intake's own time limit, not a stop (``IntakeDeadline``).
            if let message = IntakeDeadline.passed { throw exceeded(message, attempts: error.attempts) }
            // Ended by the stop; a failure of its own (AWS refused, say) is reported as it is.
            throw AWSError(
                kind: .transport, code: .cancelled, message: "the task was cancelled (the delegate is stopping)",
                retryable: true, attempts: error.attempts)
        case .failure(let error) where expired && error.code == .cancelled:
            // The cancelled operation ended promptly (its transfer was aborted); what it ended
            // with says how many attempts it made. A failure of its own that came as the deadline
            // passed (AWS refused, say) is reported as it is, below: it is the answer.
            var message = "the task did not finish within its deadline of \(seconds) s"
            if waited >= .milliseconds(100) {
                message += " (counted from when it was received; it waited \(describe(waited)) for a free slot)"
            }
            throw exceeded(message, attempts: error.attempts)
        case .failure(let error):
            throw error
        }
    }

    /// The error for a task whose deadline passed before it could start.
    static func passedWhileWaiting(seconds: Int, waited: Duration) -> AWSError {
        exceeded(
            "the task waited \(describe(waited)) for a free slot and its deadline of \(seconds) s passed before "
                + "it could start; nothing was sent to AWS",
            attempts: 0)
    }

    static func exceeded(_ message: String, attempts: Int) -> AWSError {
        AWSError(
            kind: .transport, code: .deadlineExceeded, message: message, retryable: true,
            attempts: attempts)
    }

    /// `2.3 s`, to a tenth of a second.
    private static func describe(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    private static func capture<Value>(
        _ operation: () async throws(AWSError) -> Value
    ) async -> Result<Value, AWSError> {
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }
}

/// Cancels a task that may not be known yet: the watch can fire before the caller has the handle
/// of the task that armed it (the task starts at once, on another thread).
private final class DeadlineCancellation: Sendable {
    private struct State {
        var cancel: (@Sendable () -> Void)?
        var requested = false
    }

    private let state = Mutex(State())

    func attach(_ cancel: @escaping @Sendable () -> Void) {
        let requested = state.withLock { state in
            state.cancel = cancel
            return state.requested
        }
        if requested { cancel() }
    }

    func cancel() {
        state.withLock { state in
            state.requested = true
            return state.cancel
        }?()
    }
}
