import DequeModule
import Synchronization

/// Bounds how many tasks run at once (`[delegate] concurrency`). Waiters are served in arrival
/// order; the limit can change on reload without disturbing tasks already running.
///
/// A lock, not an actor: every task takes and gives back a slot, and an actor hop there cost a
/// thread switch whenever two tasks met in it. Continuations are resumed outside the lock.
public final class ConcurrencyLimiter: Sendable {
    private struct State {
        var limit: Int
        var running = 0
        /// The waiters' ids in arrival order, with the ids of waiters that gave up since (no
        /// longer in `waiters`) left in place: giving up is constant time however many wait, and
        /// serving skips them. Compacted when they outnumber the waiters.
        var arrivals: Deque<UInt64> = []
        /// A waiter joins when it decides to wait, before its continuation exists; a slot handed
        /// to it meanwhile is recorded in `served`.
        var waiters: [UInt64: Waiter] = [:]
        var served: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        /// ``endWaits()`` was called: a wait that may be given up ends at once.
        var waitsEnded = false
    }

    /// A task waiting for a slot: resumed with true when it gets one, false when it gave up.
    private struct Waiter {
        /// Not ``acquire()``'s: ``endWaits()`` ends it.
        let mayGiveUp: Bool
        var continuation: CheckedContinuation<Bool, Never>?
    }

    private let state: Mutex<State>

    public init(limit: Int) {
        state = Mutex(State(limit: max(1, limit)))
    }

    /// Waits for a free slot, even if the waiting task is cancelled or ``endWaits()`` was called:
    /// for work that must run whatever happens (the daemon has none now; the tests take slots so).
    public func acquire() async {
        _ = await wait(cancellable: false)
    }

    /// Waits for a free slot; false, holding none, when the waiting task is cancelled first
    /// (a stop closing a socket's handler calls, an SQS loop ending).
    public func acquireUnlessCancelled() async -> Bool {
        await wait(cancellable: true)
    }

    /// ``acquireUnlessCancelled()`` that can also be given up from outside: when it has to wait,
    /// `onWait` is handed (before the wait) an action that ends the wait holding no slot, for a
    /// timer to call (a task's deadline). A slot handed over first is kept.
    public func acquireUnlessCancelled(
        onWait: (_ giveUp: @escaping @Sendable () -> Void) -> Void
    ) async -> Bool {
        await wait(cancellable: true, onWait: onWait)
    }

    private func wait(
        cancellable: Bool, onWait: (_ giveUp: @escaping @Sendable () -> Void) -> Void = { _ in }
    ) async -> Bool {
        let queued: Result<UInt64, Ended> = state.withLock { state in
            if cancellable, state.waitsEnded { return .failure(.ended) }
            if state.running < state.limit, state.waiters.isEmpty {
                state.running += 1
                return .failure(.granted)
            }
            state.nextWaiter += 1
            state.arrivals.append(state.nextWaiter)
            state.waiters[state.nextWaiter] = Waiter(mayGiveUp: cancellable, continuation: nil)
            return .success(state.nextWaiter)
        }
        let id: UInt64
        switch queued {
        case .success(let queuedID): id = queuedID
        case .failure(let ended): return ended == .granted
        }
        onWait { [self] in giveUp(id) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // Served while the continuation was being made: go ahead. Gone from the queue:
                // it gave up. Under the lock `giveUp` takes too, so a cancellation finds the
                // waiter queued or served, or (if it came first) the waiter sees it here.
                let answer: Bool? = state.withLock { state in
                    if state.served.remove(id) != nil { return true }
                    guard state.waiters[id] != nil else { return false }
                    if cancellable, Task.isCancelled {
                        Self.leave(id, &state)
                        return false
                    }
                    state.waiters[id]?.continuation = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            guard cancellable else { return }
            giveUp(id)
        }
    }

    /// How a wait ended without queueing.
    private enum Ended: Error {
        case granted
        case ended
    }

    /// Ends every wait that may be given up (all but ``acquire()``'s), now and from now on: they
    /// end holding no slot. For a stop: a task not started by then never is, and its answer
    /// (`DelegateStopping`) must not wait for a slot that tasks past the stop's grace period may
    /// hold until their deadlines. A slot handed over first is kept.
    public func endWaits() {
        let ended = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.waitsEnded = true
            let ending = state.waiters.filter { $0.value.mayGiveUp }
            for id in ending.keys { Self.leave(id, &state) }
            return ending.values.compactMap(\.continuation)
        }
        for continuation in ended { continuation.resume(returning: false) }
    }

    /// A cancelled waiter still in the queue leaves it without a slot; one already served keeps
    /// its slot (its caller releases it as usual).
    private func giveUp(_ id: UInt64) {
        let waiter = state.withLock { Self.leave(id, &$0) }
        waiter?.continuation?.resume(returning: false)
    }

    /// Takes a waiter out of the queue, leaving its id among the arrivals until serving or a
    /// compaction passes it.
    @discardableResult
    private static func leave(_ id: UInt64, _ state: inout State) -> Waiter? {
        guard let waiter = state.waiters.removeValue(forKey: id) else { return nil }
        if state.arrivals.count > 64, state.arrivals.count > 2 * state.waiters.count {
            state.arrivals.removeAll { state.waiters[$0] == nil }
        }
        return waiter
    }

    /// Hands a slot to the longest waiter: its continuation, to resume outside the lock, or nil
    /// if it has none yet (it finds itself served). There must be one.
    private static func serveFirst(_ state: inout State) -> CheckedContinuation<Bool, Never>? {
        while let id = state.arrivals.popFirst() {
            guard let first = state.waiters.removeValue(forKey: id) else { continue }
            if first.continuation == nil { state.served.insert(id) }
            return first.continuation
        }
        preconditionFailure("a waiter is counted but not queued")
    }

    /// Takes a slot now, past the limit if need be: for a task that will only give it back (a
    /// stop ended its wait), so that its caller's release stays balanced without waiting for slots
    /// that tasks past the stop's grace may hold until their deadlines.
    public func takeAtOnce() {
        state.withLock { $0.running += 1 }
    }

    /// Takes up to `count` slots that are free now, without waiting (none while others wait).
    public func tryAcquire(upTo count: Int) -> Int {
        state.withLock { state in
            guard state.waiters.isEmpty else { return 0 }
            let taken = max(0, min(count, state.limit - state.running))
            state.running += taken
            return taken
        }
    }

    /// Frees a slot, handing it to the longest waiter.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.running <= state.limit, !state.waiters.isEmpty { return Self.serveFirst(&state) }
            state.running -= 1
            return nil
        }
        next?.resume(returning: true)
    }

    public func setLimit(_ newLimit: Int) {
        let started = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.limit = max(1, newLimit)
            var started: [CheckedContinuation<Bool, Never>] = []
            while state.running < state.limit, !state.waiters.isEmpty {
                state.running += 1
                if let continuation = Self.serveFirst(&state) { started.append(continuation) }
            }
            return started
        }
        for continuation in started { continuation.resume(returning: true) }
    }

    /// How many tasks wait for a slot.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// How many ids the arrival order holds, those given up included.
    var queueLength: Int { state.withLock { $0.arrivals.count } }

    /// How many slots are held.
    public var inUse: Int { state.withLock { $0.running } }

    /// The limit now in force.
    public var limit: Int { state.withLock { $0.limit } }
}
