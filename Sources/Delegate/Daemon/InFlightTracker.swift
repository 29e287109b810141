/// Knows which tasks are running: a graceful stop waits for them (up to a grace period), and the
/// watchdog asks whether any has overrun its deadline, which the deadline machinery never
/// allows while the dispatch loop works.
///
/// A lock, not an actor: every task enters and leaves, and an actor hop there cost a thread
/// switch whenever two tasks met in it.
///
/// Times are on `SuspendingClock` (`CLOCK_MONOTONIC`, which stands still while the host is
/// suspended or hibernated), the clock of systemd's watchdog and of ``DeadlineWatch``: on
/// `ContinuousClock` (`CLOCK_BOOTTIME`) a task in flight across a suspend would look an hour
/// overrun at the resume, while its deadline had not yet come, and the withheld ping would have
/// systemd kill the delegate.
final class InFlightTracker: Sendable {
    /// How far past its deadline a task may still be running (its result being written, say)
    /// before the delegate counts as stalled.
    static let overrunAllowance: Duration = .seconds(30)

    /// What names a running task in the line that says it overran.
    struct Label: Sendable, Equatable {
        var taskID: String
        var connectorID: String
        var operation: String

        /// For what is in flight before its task is read (an SQS message in hand).
        static let unread = Label(taskID: "-", connectorID: "-", operation: "-")
    }

    private struct Running {
        /// When the task will have overrun its deadline.
        var overrunAt: SuspendingClock.Instant
        var label: Label
    }

    private struct State {
        var nextToken: UInt64 = 0
        /// The running tasks, by token.
        var running: [UInt64: Running] = [:]
        /// Actions to run once no task of a token up to `mark` runs (``whenRunningNowHaveLeft(_:)``).
        var afterward: [(mark: UInt64, action: @Sendable () -> Void)] = []

        /// Takes out the actions whose tasks have all left.
        mutating func takeDue() -> [@Sendable () -> Void] {
            guard !afterward.isEmpty else { return [] }
            let oldest = running.keys.min() ?? .max
            let due = afterward.filter { $0.mark < oldest }
            afterward.removeAll { $0.mark < oldest }
            return due.map(\.action)
        }
    }

    /// Idle when nothing runs: the stop waits for that.
    private let state = Condition(State()) { $0.running.isEmpty }

    /// A task starts with `deadline` to run; pass the token to ``leave(_:)``.
    func enter(deadline: Duration, label: Label = .unread, now: SuspendingClock.Instant = .now) -> UInt64 {
        state.update { state in
            state.nextToken += 1
            state.running[state.nextToken] = Running(overrunAt: now + deadline + Self.overrunAllowance, label: label)
            return state.nextToken
        }
    }

    /// The running tasks past their deadlines and the allowance, the longest overrun first. Any
    /// means the dispatch loop is wedged (a blocked thread, a lost continuation) and systemd
    /// should restart the delegate; the line that says so names them (a wedged task never logs
    /// its end).
    func overrun(now: SuspendingClock.Instant = .now) -> [Label] {
        state.read { state in
            state.running.values.filter { $0.overrunAt < now }.sorted { $0.overrunAt < $1.overrunAt }.map(\.label)
        }
    }

    func leave(_ token: UInt64) {
        let due = state.update { state in
            state.running[token] = nil
            return state.takeDue()
        }
        for action in due { action() }
    }

    /// Runs `action` once every task running now has left (at once, here, if none runs), on the
    /// thread of the last to leave; tasks that start later are not waited for. A reload's second
    /// forgetting of the signing keys: tasks in flight keep the credentials they read before it.
    func whenRunningNowHaveLeft(_ action: @escaping @Sendable () -> Void) {
        let due = state.update { state in
            state.afterward.append((mark: state.nextToken, action: action))
            return state.takeDue()
        }
        for action in due { action() }
    }

    var current: Int { state.read { $0.running.count } }

    /// Returns when nothing is running, or after `timeout`; true when idle.
    func waitUntilIdle(timeout: Duration) async -> Bool { await state.wait(timeout: timeout) }
}
