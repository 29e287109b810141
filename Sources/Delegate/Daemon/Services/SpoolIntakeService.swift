import Logging
import ServiceLifecycle
import Synchronization
import TaskQueue

/// The spool (`[queue] spool_dir`): prepares it and watches `new/` (up before READY=1), takes
/// tasks from it (``SpoolIntake``) and sweeps uncollected results. The stop's first step stops
/// the watcher; at its own turn, after the grace period, tasks still running are cancelled and
/// stay claimed for the next start.
///
/// Its claims directory removed while it runs (``SpoolIntake/claimsRemoved``), no spool task can
/// be claimed until a start makes it again: the service lets the tasks it runs finish, records
/// why in ``DelegateDaemon/stoppedFor`` and returns, and the group stops gracefully (its
/// `successTerminationBehavior`); the process then ends with 69, which systemd restarts.
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
            unwritten: daemon.spoolUnwritten)
        let recovered = await intake.recover()
        let watcher = try spool.watch(
            rescanInterval: DelegateDaemon.rescanInterval(daemon.configuration.current.queue),
            holding: recovered.map(\.name))
        if shared.opened({ $0.watcher = watcher }) { watcher.stop() }
        shared.gate.arrive(Self.name)
        let (daemon, spool) = (daemon, spool)
        let intakeEnded = Condition(false) { $0 }
        await withDiscardingTaskGroup { group in
            group.addTask { await watcher.run() }
            group.addTask {
                await intake.run(watcher: watcher, recovered: recovered)
                intakeEnded.update { $0 = true }
            }
            group.addTask { await daemon.sweepResults(spool) }
            let removed: TaskQueueError? = await Race.first(
                {
                    try? await gracefulShutdown()
                    return nil
                },
                { await intake.claimsRemoved.wait() ? intake.claimsRemoved.read { $0 } : nil })
            watcher.stop()
            if let removed {
                daemon.logger.critical(
                    "no spool task can be claimed: \(removed); stopping, so that systemd starts the delegate again",
                    metadata: ["error_code": "ClaimsRemoved"])
                daemon.stoppedFor.withLock { reason in reason = reason ?? "the spool's claims directory was removed: \(removed)" }
                // The tasks it runs finish and write their results first.
                _ = await intakeEnded.wait()
            }
            group.cancelAll()
        }
    }
}
