import Synchronization

/// Opens once every name given at `init` has arrived; callers wait for it to open.
///
/// Two gates: one holds `READY=1` back until every service that must be up first has said so
/// (the sockets listening, the spool watched, SIGHUP trapped: the services of one `ServiceGroup`
/// start together, and systemd may send a task or a reload the moment it sees READY); the
/// dispatcher's opens at the stop, for loops that wait for work or for the stop, whichever comes
/// first.
final class Gate: Sendable {
    private struct State {
        var waitingFor: Set<String>
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state: Mutex<State>

    init(waitingFor names: Set<String>) {
        state = Mutex(State(waitingFor: names))
    }

    /// `name` is up.
    func arrive(_ name: String) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.waitingFor.remove(name)
            guard state.waitingFor.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        released.forEach { $0.resume() }
    }

    /// Returns when every service named at `init` has arrived, or when the caller is cancelled;
    /// true when all have arrived.
    func wait() async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.waitingFor.isEmpty || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        return state.withLock { $0.waitingFor.isEmpty }
    }
}
