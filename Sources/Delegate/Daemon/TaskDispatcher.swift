import AWSCore
import Foundation
import Logging
import Synchronization
import TaskQueue

/// What every intake (spool, socket) shares: the selection policy, the concurrency bound, the
/// executor and the counters. Settings that a reload may change sit behind a lock.
public final class TaskDispatcher: Sendable {
    public let status: DelegateStatus
    /// The named connectors and who may use them (section 9).
    public let connectors = ConnectorCatalog()
    let limiter: ConcurrencyLimiter
    let inFlight = InFlightTracker()
    private let executor: TaskExecutor
    private let clock: any WallClock
    private let selection: Mutex<SelectionPolicy>
    private let stopping = Mutex(false)

    public init(
        executor: TaskExecutor, selection: SelectionPolicy, concurrency: Int, clock: any WallClock,
        status: DelegateStatus
    ) {
        self.executor = executor
        self.selection = Mutex(selection)
        self.limiter = ConcurrencyLimiter(limit: concurrency)
        self.clock = clock
        self.status = status
    }

    public var delegateName: String { executor.delegateName }
    public var selectionPolicy: SelectionPolicy { selection.withLock { $0 } }
    public var now: Date { clock.now() }
    var isStopping: Bool { stopping.withLock { $0 } }

    func stopIntake() {
        stopping.withLock { $0 = true }
    }

    /// Applies a reloaded configuration's tags and concurrency.
    func apply(selection policy: SelectionPolicy, concurrency: Int) async {
        selection.withLock { $0 = policy }
        await limiter.setLimit(concurrency)
    }

    func matches(_ selectors: [String]) -> SelectionDecision {
        selectionPolicy.matches(selectors)
    }

    /// Runs a task in one of the `concurrency` slots, waiting for one if all are busy.
    /// A task that was waiting for a slot when the delegate began to stop is not started: its
    /// result says so (`DelegateStopping`), and a graceful stop never waits on it.
    func execute(_ task: DelegateTask, receivedAt: Date, logger: Logger) async -> TaskResult {
        if isStopping { return notStarted(task, receivedAt: receivedAt) }
        await limiter.acquire()
        if isStopping {
            await limiter.release()
            return notStarted(task, receivedAt: receivedAt)
        }
        let result = await executeHoldingSlot(task, receivedAt: receivedAt, logger: logger)
        await limiter.release()
        return result
    }

    private func notStarted(_ task: DelegateTask, receivedAt: Date) -> TaskResult {
        status.recorded(.failed)
        return TaskResult(
            id: task.id, status: .failed, operation: task.operation.name.rawValue, connectorId: task.connector.id,
            delegate: delegateName, receivedAt: receivedAt, finishedAt: now, attempts: 0,
            error: TaskFailure(
                code: .delegateStopping,
                message: "the delegate is stopping and did not start this task; submit it again", retryable: true))
    }

    /// Runs a task for a caller that already holds a slot (the spool claims only with one).
    func executeHoldingSlot(_ task: DelegateTask, receivedAt: Date, logger: Logger) async -> TaskResult {
        let token = await inFlight.enter(deadline: .seconds(task.deadlineSeconds))
        status.started()
        let result = await executor.run(task, receivedAt: receivedAt, logger: logger)
        status.finished(result.status)
        await inFlight.leave(token)
        return result
    }

    /// The `rejected` result for a task that failed validation, counted and logged.
    /// - Parameter logLimiter: rate-limits the warning, for intakes where a producer can send
    ///   invalid tasks as fast as it likes (the socket and the spool).
    func rejected(
        _ rejection: TaskRejection, receivedAt: Date, logger: Logger, logLimiter: LogRateLimiter? = nil
    ) -> TaskResult {
        let result = TaskResult.rejected(
            rejection, delegate: delegateName, receivedAt: receivedAt, finishedAt: clock.now())
        status.recorded(.rejected)
        var metadata: Logger.Metadata = ["event": "task-rejected", "error_code": "\(rejection.code.rawValue)"]
        if let id = rejection.taskID { metadata["task_id"] = "\(id)" }
        if let connector = rejection.connectorID { metadata["connector_id"] = "\(connector)" }
        if let operation = rejection.operation { metadata["operation"] = "\(operation)" }
        if let logLimiter {
            logLimiter.warning(
                "task rejected: \(rejection.message)", metadata: metadata, key: "task-rejected", logger: logger)
        } else {
            logger.warning("task rejected: \(rejection.message)", metadata: metadata)
        }
        return result
    }
}
