import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration (``DelegateDaemon/reload(_:)``), one reload at a time. The
/// signal is trapped before READY=1, since systemd may send a reload the moment it sees READY and
/// an untrapped SIGHUP would kill the daemon.
struct ReloadService: Service {
    static let name = "reload"
    let daemon: DelegateDaemon
    let shared: DaemonRun

    func run() async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        shared.gate.arrive(Self.name)
        for await _ in signals.cancelOnGracefulShutdown() {
            if Task.isCancelled { return }
            await daemon.reload(shared.intake)
        }
    }
}
