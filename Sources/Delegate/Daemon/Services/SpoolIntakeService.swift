import Logging
import ServiceLifecycle
import TaskQueue

/// The spool (`[queue] spool_dir`): prepares it and watches `new/` (up before READY=1), takes
/// tasks from it (``SpoolIntake``) and sweeps uncollected results. The stop's first step stops
/// the watcher; at its own turn, after the grace period, tasks still running are cancelled and
/// stay claimed for the next start.
///
/// Its claims directory removed or replaced while it runs (``SpoolIntake/claimsRemoved``: deleted,
/// or a file system mounted over the spool or unmounted from under it), no spool task can be
/// claimed, or claimed under its lock, until a start takes the spool again: the service asks for
/// the delegate's graceful stop
/// (``DelegateDaemon/stopRequest``), as SIGTERM would (the tasks in flight finish within the
/// grace period); the process then ends with 69, which systemd restarts.
struct SpoolIntakeService: Service {
    static let name = "spool"
    let daemon: DelegateDaemon
    let shared: DaemonRun
    let spool: Spool

    func run() async throws {
        try spool.prepare()
        try spool.lockClaims()
        let intake = SpoolIntake(
            spool: spool, dispatcher: daemon.dispatcher, logLimiter: daemon.logLimiter, logger: daemon.logger,
            unwritten: daemon.spoolUnwritten, claimFailure: daemon.spoolClaimFailure)
        let recovered = await intake.recover()
        let watcher = try spool.watch(
            rescanInterval: DelegateDaemon.rescanInterval(daemon.configuration.current.queue),
            holding: recovered.map(\.name))
        if shared.opened({ $0.watcher = watcher }) { watcher.stop() }
        shared.gate.arrive(Self.name)
        let (daemon, spool) = (daemon, spool)
        await withDiscardingTaskGroup { group in
            group.addTask { await watcher.run() }
            group.addTask { await intake.run(watcher: watcher, recovered: recovered) }
            group.addTask { await daemon.sweepResults(spool) }
            group.addTask { await intake.watchResultWrites() }
            group.addTask { await intake.watchFileCalls() }
            group.addTask {
                await intake.watchClaimsDirectory(every: {
                    DelegateDaemon.rescanInterval(daemon.configuration.current.queue)
                })
            }
            group.addTask {
                // (Cancelled at the stop: the wait ends without an error.)
                guard await intake.claimsRemoved.wait(), let removed = intake.claimsRemoved.read({ $0 }) else { return }
                daemon.logger.critical(
                    "no spool task can be claimed: \(removed); stopping, so that systemd starts the delegate again",
                    metadata: ["error_code": "ClaimsRemoved"])
                await daemon.stopRequest.stop(because: "the spool's claims directory was removed or replaced: \(removed)")
            }
            try? await gracefulShutdown()
            watcher.stop()
            group.cancelAll()
        }
    }
}
