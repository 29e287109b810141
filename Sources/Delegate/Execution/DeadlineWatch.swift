import Dispatch
import Synchronization

/// One timer for the deadlines of every running task: an operation whose deadline has passed is
/// cancelled within a tick (a tenth of a second) of it.
///
/// A watched operation costs an entry in a table, not a Swift task and a Dispatch timer of its
/// own: a sleeping child task per task armed and cancelled a timer and woke Dispatch's timer
/// thread for every task. The timer ticks only while operations are watched, so an idle
/// delegate has no wake-ups from it.
///
/// `@unchecked Sendable`: `timer` is only rescheduled under `state`'s lock (so an arm and a
/// disarm cannot land out of order), and Dispatch sources are safe to use from any thread.
final class DeadlineWatch: @unchecked Sendable {
    /// What `finish(_:)` needs to find a watched operation again.
    struct Ticket: Sendable {
        fileprivate let tick: UInt64
        fileprivate let id: UInt64
    }

    private static let tickNanoseconds: UInt64 = 100_000_000
    private static let tick = DispatchTimeInterval.nanoseconds(Int(tickNanoseconds))

    private struct State {
        var nextID: UInt64 = 0
        /// The watched operations' cancel actions, by the tick their deadline falls in (rounded up).
        var due: [UInt64: [UInt64: @Sendable () -> Void]] = [:]
        var watched = 0
        /// Operations cancelled for their deadline that have not finished yet.
        var expired: Set<UInt64> = []
        /// The last tick whose operations were cancelled.
        var lastTick: UInt64
        var ticking = false
    }

    private let state: Mutex<State>
    private let timer: any DispatchSourceTimer

    init() {
        state = Mutex(State(lastTick: Self.currentTick()))
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "secrets-delegate.deadlines"))
        timer.setEventHandler { [weak self] in self?.fire() }
        timer.activate()
    }

    deinit {
        timer.cancel()
    }

    /// Watches an operation whose deadline is `remaining` from now; past it, `cancel` is called
    /// once (outside any lock). Every ticket must be given back to `finish(_:)`.
    func watch(for remaining: Duration, cancel: @escaping @Sendable () -> Void) -> Ticket {
        let nanoseconds = UInt64(max(0, remaining.components.seconds)) * 1_000_000_000
            + UInt64(max(0, remaining.components.attoseconds / 1_000_000_000))
        let deadline = DispatchTime.now().uptimeNanoseconds + nanoseconds
        let dueTick = (deadline + Self.tickNanoseconds - 1) / Self.tickNanoseconds
        return state.withLock { state in
            state.nextID &+= 1
            // A tick already handled is not looked at again: such a deadline is due at the next.
            let ticket = Ticket(tick: max(dueTick, state.lastTick + 1), id: state.nextID)
            state.due[ticket.tick, default: [:]][ticket.id] = cancel
            state.watched += 1
            if !state.ticking {
                state.ticking = true
                // On a tick's boundary, so a deadline (rounded up to one) is met within a tick.
                let next = DispatchTime(uptimeNanoseconds: (Self.currentTick() + 1) * Self.tickNanoseconds)
                timer.schedule(deadline: next, repeating: Self.tick, leeway: .milliseconds(10))
            }
            return ticket
        }
    }

    /// Stops watching; true if the operation was cancelled for its deadline.
    func finish(_ ticket: Ticket) -> Bool {
        state.withLock { state in
            if state.due[ticket.tick]?.removeValue(forKey: ticket.id) != nil {
                if state.due[ticket.tick]?.isEmpty == true { state.due.removeValue(forKey: ticket.tick) }
                state.watched -= 1
                return false
            }
            return state.expired.remove(ticket.id) != nil
        }
    }

    /// Operations watched or cancelled and not yet finished (for tests: nothing is held for an
    /// operation once it finished).
    var held: Int { state.withLock { $0.watched + $0.expired.count } }

    /// Whether the timer is running (for tests: it stops once nothing is watched).
    var isTicking: Bool { state.withLock { $0.ticking } }

    private func fire() {
        var cancels: [@Sendable () -> Void] = []
        state.withLock { state in
            let now = Self.currentTick()
            if now > state.lastTick {
                if now - state.lastTick <= UInt64(state.due.count) {
                    for tick in (state.lastTick + 1)...now { expire(tick, in: &state, into: &cancels) }
                } else {
                    for tick in state.due.keys.filter({ $0 <= now }) { expire(tick, in: &state, into: &cancels) }
                }
                state.lastTick = now
            }
            if state.watched == 0 {
                state.ticking = false
                timer.schedule(deadline: .distantFuture)
            }
        }
        for cancel in cancels { cancel() }
    }

    private func expire(_ tick: UInt64, in state: inout State, into cancels: inout [@Sendable () -> Void]) {
        guard let due = state.due.removeValue(forKey: tick) else { return }
        for (id, cancel) in due {
            state.expired.insert(id)
            cancels.append(cancel)
        }
        state.watched -= due.count
    }

    private static func currentTick() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds / tickNanoseconds
    }
}
