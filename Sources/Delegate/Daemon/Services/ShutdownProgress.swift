import Synchronization

/// What the drain step of a graceful stop learned, for the steps after it: whether the tasks in
/// flight finished within the grace period.
final class ShutdownProgress: Sendable {
    private let drained = Mutex(true)

    /// The tasks in flight finished within the grace period (false: some were still running).
    func recordDrained(_ finished: Bool) {
        drained.withLock { $0 = finished }
    }

    var tasksDrained: Bool { drained.withLock { $0 } }
}
