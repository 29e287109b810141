import ServiceLifecycle
import Logging

/// The SQS intake (``SQSIntake``), idle while `[sqs] queue_urls` is empty. Its turn in a stop
/// comes after the grace period for the tasks in flight: the loops finish their last long poll
/// (releasing what it brought) and settle the messages in hand, for as long as the stop's budget
/// (``DelegateDaemon/stopBudget``) leaves. An SQS task that outlived the grace period may finish
/// meanwhile, and its result is sent: cut off, it would run again on another delegate. Then, if
/// tasks outlived the grace period, the warning that those still running are cancelled, and if
/// the loops did not settle in time, the handling ends and the messages of tasks still running
/// (whose results were not sent) are made visible again, within 2 s kept for it at the end of the
/// budget, with a warning that says so.
struct SQSIntakeService: Service {
    let daemon: DelegateDaemon
    let shared: DaemonRun

    func run() async {
        let sqs = daemon.sqsIntake()
        let (daemon, shared) = (daemon, shared)
        await withDiscardingTaskGroup { group in
            group.addTask { await sqs.run() }
            defer { group.cancelAll() }
            guard (try? await gracefulShutdown()) != nil else { return }
            let configuration = daemon.configuration.current
            let poll = configuration.sqs.waitSeconds + Int(configuration.aws.requestTimeoutSeconds)
            let drained = shared.progress.tasksDrained
            // A long request timeout could hold the stop past systemd's TimeoutStopSec=; what
            // is not settled by then comes back to the queue after its lease.
            let budget = daemon.settings.stopBudget
            let left = shared.timeLeftToStop(within: budget)
            let wait = min(.seconds(poll + 5), max(.zero, left - SQSIntake.releaseTime))
            let settled = await sqs.waitUntilSettled(timeout: wait)
            if !drained {
                daemon.logger.warning(
                    "tasks still running after the grace period are cancelled; spool tasks among them run again at the next start"
                )
            }
            if !settled {
                // Taken before the handling ends (a handler that ends forgets its message); then
                // the handling ends, so that no lease extension lands after the release.
                let running = sqs.unansweredRunning()
                group.cancelAll()
                let released = await sqs.release(
                    running, within: min(SQSIntake.releaseTime, shared.timeLeftToStop(within: budget)))
                daemon.logger.warning(
                    """
                    the stop's time ran out before every SQS message in hand was settled; \(released) whose tasks \
                    still ran were made visible again for another delegate, any others come back after their lease; \
                    their tasks may run again
                    """,
                    metadata: ["released": "\(released)"])
            }
        }
    }
}
