import Synchronization

/// A state behind a lock, and callers waiting until it `holds`: each is resumed by the change
/// that makes it hold (or at once, if it holds already), or when it is cancelled.
final class Condition<State: Sendable>: Sendable {
    private struct Stored {
        var state: State
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let stored: Mutex<Stored>
    private let holds: @Sendable (State) -> Bool

    init(_ state: State, holds: @escaping @Sendable (State) -> Bool) {
        stored = Mutex(Stored(state: state))
        self.holds = holds
    }

    /// Whether the state holds now.
    var isHolding: Bool { stored.withLock { holds($0.state) } }

    /// What `body` reads of the state now.
    func read<Value>(_ body: (State) -> Value) -> Value {
        stored.withLock { body($0.state) }
    }

    /// Changes the state (returning what `change` does); the waiters are resumed if it holds after.
    @discardableResult
    func update<Value>(_ change: (inout State) -> Value) -> Value {
        let (value, released) = stored.withLock { stored -> (Value, [CheckedContinuation<Void, Never>]) in
            let value = change(&stored.state)
            guard holds(stored.state), !stored.waiters.isEmpty else { return (value, []) }
            defer { stored.waiters.removeAll() }
            return (value, Array(stored.waiters.values))
        }
        released.forEach { $0.resume() }
        return value
    }

    /// Returns when the state holds, or when the caller is cancelled; true when it holds.
    func wait() async -> Bool {
        let id = stored.withLock { stored in
            defer { stored.nextWaiter += 1 }
            return stored.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = stored.withLock { stored in
                    if holds(stored.state) || Task.isCancelled { return true }
                    stored.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            stored.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        return isHolding
    }

    /// ``wait()``, ended after `timeout` at the latest (only this wait is cancelled: the
    /// waiters are each their own); true when the state holds.
    func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
