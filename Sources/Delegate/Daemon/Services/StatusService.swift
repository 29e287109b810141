import FoundationEssentials
import ServiceLifecycle
import Systemd
import HTTP
import Logging
import TaskQueue

/// Tells systemd how the delegate is: `READY=1` once every other service is up, then `STATUS=`
/// and `WATCHDOG=1` until the very end of a stop (it is the group's first service, so the last
/// one to stop: the watchdog keeps pinging while tasks drain). Last of all it closes the HTTP
/// client and logs `stopped`; a start that failed (the gate never opened) closes and flushes too,
/// as the intakes that did open may have used both.
struct StatusService: Service {
    let daemon: DelegateDaemon
    let shared: DaemonRun

    func run() async {
        let gate = shared.gate
        let daemon = daemon
        if await cancelWhenGracefulShutdown({ await gate.wait() }) {
            // A stop that began while the intakes opened: no READY=1 after STOPPING=1.
            if shared.becomeReady() { await daemon.announceReady() }
            shared.announced.arrive(DaemonRun.readyAnnounced)
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in
                    group.addTask { await daemon.watchdogLoop() }
                    group.addTask { await daemon.statusLoop() }
                }
            }
        }
        await daemon.components.httpClientToShutDown?.close()
        // The last summaries of rate-limited warnings, windows still open included: no
        // suppressed count goes with the process.
        daemon.logLimiter.flush(all: true)
        if !Task.isCancelled {
            daemon.logger.notice(
                "stopped", metadata: ["event": "stopped", "counts": "\(daemon.dispatcher.status.snapshot)"])
        }
    }
}
