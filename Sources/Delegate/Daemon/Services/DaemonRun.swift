import Synchronization
import TaskQueue

/// What the services of one run of the daemon share: the gate that holds READY=1 back, what
/// the steps of a graceful stop learned, and the intake they opened (which a reload retunes and
/// the stop closes).
final class DaemonRun: Sendable {
    let gate: StartupGate
    let progress = ShutdownProgress()
    private let opened = Mutex(DelegateDaemon.Intake())

    init(gate: StartupGate) {
        self.gate = gate
    }

    /// The intake opened so far.
    var intake: DelegateDaemon.Intake { opened.withLock { $0 } }

    func opened(_ update: (inout DelegateDaemon.Intake) -> Void) {
        opened.withLock { update(&$0) }
    }
}
