import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration (``DelegateDaemon/reload(_:)``), one reload at a time. The
/// signal is trapped before READY=1, since systemd may send a reload the moment it sees READY and
/// an untrapped SIGHUP would kill the daemon; a SIGHUP that comes before every intake is open
/// is served once they are, and one during a stop is not served (its RELOADING=1/READY=1 would
/// follow STOPPING=1).
struct ReloadService: Service {
    static let name = "reload"
    let daemon: DelegateDaemon
    let shared: DaemonRun

    func run() async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        shared.gate.arrive(Self.name)
        let gate = shared.gate
        guard await cancelWhenGracefulShutdown({ await gate.wait() }) else { return }
        for await _ in signals.cancelOnGracefulShutdown() {
            if Task.isCancelled || shared.isStopping { return }
            await daemon.reload(shared.intake)
        }
    }
}
