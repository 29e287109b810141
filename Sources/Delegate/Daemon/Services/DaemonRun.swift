import Synchronization
import TaskQueue

/// What the services of one run of the daemon share: the gate that holds READY=1 back, what
/// the steps of a graceful stop learned, the intake they opened (which a reload retunes and the
/// stop closes), and how far the run is (READY=1 is never sent once a stop began, and an intake
/// that opens after the stop began closes at once).
final class DaemonRun: Sendable {
    let gate: Gate
    /// Opens once the first READY=1 went out (or a stop began instead): a SIGHUP that came during
    /// the start is served after it, so RELOADING=1 never precedes the first READY=1.
    let announced = Gate(waitingFor: [DaemonRun.readyAnnounced])
    static let readyAnnounced = "ready announced"
    let progress = ShutdownProgress()
    private let state = Mutex(State())

    private struct State {
        var intake = DelegateDaemon.Intake()
        var phase = Phase.starting
    }

    private enum Phase {
        case starting, ready
        case stopping(since: ContinuousClock.Instant)

        var isStopping: Bool {
            if case .stopping = self { return true }
            return false
        }
    }

    init(gate: Gate) {
        self.gate = gate
    }

    /// The intake opened so far.
    var intake: DelegateDaemon.Intake { state.withLock { $0.intake } }

    /// Whether a graceful stop began.
    var isStopping: Bool { state.withLock { $0.phase.isStopping } }

    /// Records an intake just opened; true when a stop already began, so it must stop at once
    /// (the stop's first step closed only what was open before it).
    func opened(_ update: (inout DelegateDaemon.Intake) -> Void) -> Bool {
        state.withLock { state in
            update(&state.intake)
            return state.phase.isStopping
        }
    }

    /// Moves to ready unless a stop began first; READY=1 is sent only when this says so.
    func becomeReady() -> Bool {
        state.withLock { state in
            guard case .starting = state.phase else { return false }
            state.phase = .ready
            return true
        }
    }

    /// Marks the stop as begun and returns the intake open at that moment, for the caller to
    /// close; whatever opens later closes itself (``opened(_:)``).
    func beginStopping() -> DelegateDaemon.Intake {
        state.withLock { state in
            if !state.phase.isStopping { state.phase = .stopping(since: .now) }
            return state.intake
        }
    }

    /// What is left of `budget` for the stop, counted from its beginning (all of it before a
    /// stop began): the steps after the drain bound their waits by it, so that the whole stop
    /// ends before systemd's `TimeoutStopSec=` kills the process.
    func timeLeftToStop(within budget: Duration) -> Duration {
        guard case .stopping(let began) = state.withLock({ $0.phase }) else { return budget }
        return max(.zero, budget - (ContinuousClock.now - began))
    }
}
