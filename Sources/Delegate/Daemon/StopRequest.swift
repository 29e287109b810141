import Synchronization

/// A stop the delegate asks of itself, for a failure only a start repairs (its claims directory
/// removed while it ran): the group's graceful stop, as for SIGTERM, started by the trigger the
/// launcher sets (`ServiceGroup.triggerGracefulShutdown()`); the process then ends with 69, which
/// systemd's `Restart=on-failure` starts again.
final class StopRequest: Sendable {
    private struct State {
        var reason: String?
        var trigger: (@Sendable () async -> Void)?
    }

    private let state = Mutex(State())

    /// Why the delegate stopped itself (the first reason given), if it did.
    var reason: String? { state.withLock { $0.reason } }

    /// Sets what starts the graceful stop of the group the daemon's services run in.
    func setTrigger(_ trigger: @escaping @Sendable () async -> Void) {
        state.withLock { $0.trigger = trigger }
    }

    /// Records `reason` (unless one was already) and starts the stop; with no trigger set, it
    /// only records.
    func stop(because reason: String) async {
        let trigger = state.withLock { state in
            if state.reason == nil { state.reason = reason }
            return state.trigger
        }
        await trigger?()
    }
}
