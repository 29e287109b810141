import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration (``DelegateDaemon/reload(_:)``), one reload at a time. The
/// signal is trapped before READY=1, since systemd may send a reload the moment it sees READY and
/// an untrapped SIGHUP would kill the daemon; a SIGHUP that comes before every intake is open
/// is served once they are and READY=1 went out, and one during a stop is not served (its
/// RELOADING=1/READY=1 would follow STOPPING=1).
struct ReloadService: Service {
    static let name = "reload"
    let daemon: DelegateDaemon
    let shared: DaemonRun
    /// Traps the reload signal and returns its arrivals: SIGHUP, or what a test sends.
    let trap: @Sendable () async -> any AsyncSequence<Void, Never> & Sendable

    init(
        daemon: DelegateDaemon, shared: DaemonRun,
        trap: @escaping @Sendable () async -> any AsyncSequence<Void, Never> & Sendable = {
            await UnixSignalsSequence(trapping: .sighup).map { _ in }
        }
    ) {
        self.daemon = daemon
        self.shared = shared
        self.trap = trap
    }

    func run() async {
        await serve(await trap())
    }

    private func serve(_ signals: some AsyncSequence<Void, Never> & Sendable) async {
        shared.gate.arrive(Self.name)
        let (gate, announced) = (shared.gate, shared.announced)
        guard await cancelWhenGracefulShutdown({ await gate.wait() }),
            await cancelWhenGracefulShutdown({ await announced.wait() })
        else { return }
        for await _ in signals.cancelOnGracefulShutdown() {
            if Task.isCancelled { return }
            // Not served, and not an end either: the service group takes a service that ends
            // before its turn in a graceful stop for a failure and cancels everything, tasks in
            // flight included. The signals end at this service's turn.
            if shared.isStopping { continue }
            await daemon.reload(shared.intake)
        }
    }
}
