import AWSCore
import FoundationEssentials
import Logging
import Synchronization
import Systemd
import TaskQueue

/// What every intake (spool, task socket, credentials socket, SQS) shares: the selection policy,
/// the concurrency bound (the task intakes' slots, and as many again for the credentials socket's
/// reads, so that queued tasks never hold a unit's start back), the executor and the counters.
/// Settings that a reload may change sit behind a lock.
///
/// The task intakes run tasks the same way: reserve a slot (``reserveSlot()``, or
/// ``reserveFreeSlots(upTo:)`` for more that are free now), run the task in it (``run(_:receivedAt:waited:logger:finishing:)``,
/// which counts it in flight and counts its outcome), give the slot back (``releaseSlots(_:)``);
/// ``execute(_:receivedAt:logger:readmit:slots:)`` does all three for an intake that waits for the
/// result, the credentials socket's (`slots: .credentials`) included.
public final class TaskDispatcher: Sendable {
    public let status: DelegateStatus
    /// The named connectors and who may use them (section 9).
    public let connectors: ConnectorCatalog
    private let limiter: ConcurrencyLimiter
    /// The credentials socket's reads have slots of their own, as many: tasks, which any producer
    /// may queue up to their deadlines of an hour, never hold a unit's start back.
    private let credentialLimiter: ConcurrencyLimiter
    /// Spool tasks from their claim until their results are filed, as many as slots: a spool
    /// task gives its slot back once it ran (its result's writing, which a hung file system may
    /// never end, holds none, so socket and SQS tasks keep their slots), and these bound how many
    /// such results may wait to be written (``reserveSpoolTurn()``).
    private let spoolTurns: ConcurrencyLimiter
    let inFlight = InFlightTracker()
    private let executor: TaskExecutor
    private let clock: any WallClock
    private let selection: Mutex<SelectionPolicy>
    private let stopping = Mutex(false)
    /// Opens at ``stopIntake()``.
    private let stopGate = Gate(waitingFor: [TaskDispatcher.stop])
    private static let stop = "stop"

    public init(
        executor: TaskExecutor, selection: SelectionPolicy, concurrency: Int, clock: any WallClock,
        status: DelegateStatus, connectors: ConnectorCatalog = ConnectorCatalog()
    ) {
        self.connectors = connectors
        self.executor = executor
        self.selection = Mutex(selection)
        self.limiter = ConcurrencyLimiter(limit: concurrency)
        self.credentialLimiter = ConcurrencyLimiter(limit: concurrency)
        self.spoolTurns = ConcurrencyLimiter(limit: concurrency)
        self.clock = clock
        self.status = status
    }

    public var delegateName: String { executor.delegateName }
    public var selectionPolicy: SelectionPolicy { selection.withLock { $0 } }
    public var now: Date { clock.now() }
    var isStopping: Bool { stopping.withLock { $0 } }

    /// Starts nothing more: waits for a slot end now (their tasks are answered
    /// `DelegateStopping`, an SQS loop stops receiving), not when slots free.
    func stopIntake() {
        stopping.withLock { $0 = true }
        limiter.endWaits()
        credentialLimiter.endWaits()
        spoolTurns.endWaits()
        stopGate.arrive(Self.stop)
    }

    /// Returns once ``stopIntake()`` has been called, or when the caller is cancelled.
    func waitUntilStopping() async {
        _ = await stopGate.wait()
    }

    /// Applies a reloaded configuration's tags (its concurrency: ``apply(concurrency:)``, last).
    func apply(selection policy: SelectionPolicy) {
        selection.withLock { $0 = policy }
    }

    /// A new `concurrency` (a reload): waiting tasks a raised limit lets start do so at once, so
    /// it is applied after the connectors, tags and socket policy they are admitted again under.
    func apply(concurrency: Int) {
        limiter.setLimit(concurrency)
        credentialLimiter.setLimit(concurrency)
        spoolTurns.setLimit(concurrency)
    }

    /// Whose slots a task takes: the task intakes' (spool, socket, SQS) or the credentials
    /// socket's own.
    enum Slots {
        case tasks
        case credentials
    }

    private func limiter(_ slots: Slots) -> ConcurrencyLimiter {
        switch slots {
        case .tasks: limiter
        case .credentials: credentialLimiter
        }
    }

    func matches(_ selectors: [String]) -> SelectionDecision {
        selectionPolicy.matches(selectors)
    }

    // MARK: Slots

    /// Waits for one of the `concurrency` slots. Returns false, holding none, when the delegate is
    /// stopping (before the wait or after it) or the waiting task is cancelled (a socket closed at
    /// the end of a stop): a graceful stop never waits on a task not started.
    func reserveSlot() async -> Bool {
        await reserve(limiter)
    }

    /// One of `limiter`'s, as ``reserveSlot()`` takes one of the slots.
    private func reserve(_ limiter: ConcurrencyLimiter) async -> Bool {
        if isStopping { return false }
        guard await limiter.acquireUnlessCancelled() else { return false }
        return keptUnlessStopping(limiter)
    }

    /// ``reserveSlot()`` for a task that has `waited` since it was received: false, holding none,
    /// once its deadline has passed (within a tick of the deadline timer), so a task that cannot
    /// start in time is answered at its deadline, not when a slot frees (which tasks running to
    /// deadlines of up to an hour may take).
    func reserveSlot(for task: DelegateTask, waited: Duration, from slots: Slots = .tasks) async -> SlotWait {
        if isStopping { return .notReserved }
        let remaining = .seconds(task.deadlineSeconds) - waited
        var ticket: DeadlineWatch.Ticket?
        let limiter = limiter(slots)
        let got = await limiter.acquireUnlessCancelled { giveUp in
            ticket = executor.deadlines.watch(for: remaining, cancel: giveUp)
        }
        let expired = ticket.map(executor.deadlines.finish) ?? false
        if got { return keptUnlessStopping(limiter) ? .reserved : .notReserved }
        return expired ? .deadlinePassed : .notReserved
    }

    /// How ``reserveSlot(for:waited:from:)`` ended.
    enum SlotWait {
        case reserved
        /// The task's deadline passed while it waited.
        case deadlinePassed
        /// The delegate is stopping, or the waiting task was cancelled.
        case notReserved
    }

    /// After a slot was had: true, or false having given it back when the delegate began to stop.
    private func keptUnlessStopping(_ limiter: ConcurrencyLimiter) -> Bool {
        guard isStopping else { return true }
        limiter.release()
        return false
    }

    /// Waits for a slot until the caller is cancelled; then takes one at once, past the limit
    /// (the caller gives it back without running anything). False when cancelled.
    func waitForSlotUnlessCancelled() async -> Bool {
        if await limiter.acquireUnlessCancelled() { return true }
        limiter.takeAtOnce()
        return false
    }

    /// Takes up to `count` more slots that are free now, without waiting (none while others wait).
    func reserveFreeSlots(upTo count: Int) -> Int {
        limiter.tryAcquire(upTo: count)
    }

    /// A spool task's turn, then its slot: false, holding neither, when the delegate is stopping
    /// or the caller is cancelled. The turn lasts until its result is filed
    /// (``releaseSpoolTurn()``); the slot until it ran. While `concurrency` spool results wait to
    /// be written the spool claims nothing more, and other intakes keep every slot.
    func reserveSpoolTurn() async -> Bool {
        guard await reserve(spoolTurns) else { return false }
        guard await reserveSlot() else {
            spoolTurns.release()
            return false
        }
        return true
    }

    /// Ends a spool task's turn (``reserveSpoolTurn()``), once its result is filed.
    func releaseSpoolTurn() {
        spoolTurns.release()
    }

    /// Gives back `count` slots.
    func releaseSlots(_ count: Int = 1) {
        for _ in 0..<max(0, count) { limiter.release() }
    }

    /// `[delegate] concurrency` now in force: how many task slots there are.
    var concurrency: Int { limiter.limit }

    /// How many slots are held now.
    func slotsInUse(_ slots: Slots = .tasks) -> Int {
        limiter(slots).inUse
    }

    /// How many tasks wait for a slot now.
    func tasksWaitingForASlot(_ slots: Slots = .tasks) -> Int {
        limiter(slots).waiting
    }

    // MARK: Running

    /// Runs a task in one of the `concurrency` slots, waiting for one if all are busy.
    /// A task that was waiting for a slot when the delegate began to stop is not started: its
    /// result says so (`DelegateStopping`), and a graceful stop never waits on it. One whose
    /// deadline passed while it waited (or whose wait its caller gave up after its deadline: the
    /// credentials socket's request timer) is answered then, `DeadlineExceeded`, not when a slot
    /// frees.
    ///
    /// A task admitted under connectors a reload has replaced while it waited (`readmit`, with
    /// the catalog's generation at its admission) is admitted again under those in force before
    /// it starts: a connector removed, or a principal or operation no longer allowed, refuses it
    /// as it would a task arriving now (a reload that cuts access off does so at once), and so is
    /// one whose intake took its admission back (`readmit.revoked`: a socket peer a reload's
    /// `socket_allowed_users`/`_groups` left out).
    func execute(
        _ task: DelegateTask, receivedAt: Date, logger: Logger, readmit: Readmission? = nil, slots: Slots = .tasks
    ) async -> TaskResult {
        // The wait for a slot by the monotonic clock: a step of the wall clock meanwhile (NTP
        // setting a host's clock right by hours) is no wait. The uptime clock, as the deadline
        // timer's (``DeadlineWatch``): a host suspend is no wait either, as it does not count
        // against a task running.
        let arrived = SuspendingClock.now
        let waitedOnArrival = Deadline.waited(since: receivedAt, now: now)
        let wait = await reserveSlot(for: task, waited: waitedOnArrival, from: slots)
        guard wait == .reserved else {
            let waited = waitedOnArrival + (SuspendingClock.now - arrived)
            let result = notStarted(
                task, receivedAt: receivedAt, waited: waited, deadlinePassed: wait == .deadlinePassed)
            executor.logNotStarted(result, of: task, logger: logger)
            return result
        }
        let limiter = limiter(slots)
        var task = task
        if let readmit, connectors.generation != readmit.generation || readmit.revoked() {
            switch readmit.again() {
            case .run(let again):
                task = again
            case .answered(let answer):
                limiter.release()
                return answer
            }
        }
        let waited = waitedOnArrival + (SuspendingClock.now - arrived)
        let result = await run(task, receivedAt: receivedAt, waited: waited, logger: logger)
        limiter.release()
        return result
    }

    /// How to admit a waiting task again (``execute(_:receivedAt:logger:readmit:slots:)``).
    struct Readmission {
        /// ``ConnectorCatalog/generation`` when the task was first admitted (read before that).
        let generation: UInt64
        /// Whether the intake's own admission was taken back since (a reload's socket policy).
        var revoked: () -> Bool = { false }
        let again: () -> Admitted
    }

    /// What an intake's admission came to: a task to run, or its answer (refused, not for this
    /// delegate).
    enum Admitted {
        case run(DelegateTask)
        case answered(TaskResult)
    }

    private func notStarted(_ task: DelegateTask, receivedAt: Date, waited: Duration, deadlinePassed: Bool)
        -> TaskResult
    {
        status.recorded(.failed)
        connectors.count(namedConnectorID: task.namedConnectorID)
        let finishedAt = now
        let intakeDeadline = IntakeDeadline.passed
        let error =
            if let intakeDeadline, !deadlinePassed {
                TaskFailure(Deadline.exceeded(intakeDeadline, attempts: 0))
            } else if !isStopping && (deadlinePassed || waited >= .seconds(task.deadlineSeconds)) {
                TaskFailure(Deadline.passedWhileWaiting(seconds: task.deadlineSeconds, waited: waited))
            } else {
                TaskFailure(
                    code: .delegateStopping,
                    message: "the delegate is stopping and did not start this task; submit it again", retryable: true)
            }
        return TaskResult(
            id: task.id, status: .failed, operation: task.operation.name.rawValue, connectorId: task.connector.id,
            delegate: delegateName, receivedAt: receivedAt, finishedAt: finishedAt, attempts: 0, error: error)
    }

    /// Runs a task in a slot the caller reserved (the spool claims only with one, SQS receives
    /// only as many messages as it holds slots): counted in flight, and its outcome counted
    /// (status counters and its connector's), as `finishing` made it (``TaskExecutor/run(_:receivedAt:waited:logger:finishing:)``).
    func run(
        _ task: DelegateTask, receivedAt: Date, waited: Duration? = nil, logger: Logger,
        finishing: ((TaskResult) -> TaskResult)? = nil
    ) async -> TaskResult {
        // The deadline counts from receipt, a wait for a slot included, as the executor's does.
        let waited = waited ?? Deadline.waited(since: receivedAt, now: now)
        let token = inFlight.enter(
            deadline: .seconds(task.deadlineSeconds) - waited,
            label: .init(taskID: task.id, connectorID: task.connector.id, operation: task.operation.name.rawValue))
        status.started()
        let result = await executor.run(
            task, receivedAt: receivedAt, waited: waited, logger: logger, finishing: finishing)
        status.finished(result.status)
        connectors.count(namedConnectorID: task.namedConnectorID)
        inFlight.leave(token)
        return result
    }

    /// The `rejected` result for a valid task whose selectors this delegate does not match,
    /// counted (the warning is rate-limited per intake: a peer can send such tasks as fast as it
    /// likes).
    func notSelected(
        _ task: DelegateTask, decision: SelectionDecision, receivedAt: Date, logLimiter: LogRateLimiter,
        intake: TaskPrincipal.Intake, logger: Logger
    ) -> TaskResult {
        status.recorded(.rejected)
        connectors.count(namedConnectorID: task.namedConnectorID)
        logLimiter.warning(
            "task not for this delegate",
            metadata: [
                "event": "\(LogEventKind.taskRejected)", "task_id": "\(task.id)",
                "error_code": "\(TaskFailure.Code.notSelected)",
                "connector_id": "\(task.connector.id)", "connector_kind": "\(task.connectorKind)",
            ], key: "task-not-selected \(intake.rawValue)", logger: logger)
        return TaskResult.notSelected(
            taskID: task.id, operation: task.operation.name.rawValue, connectorId: task.connector.id,
            decision: decision, delegate: delegateName, receivedAt: receivedAt, finishedAt: now)
    }

    /// The `rejected` result for `rejection`, counted (status and its connector's), for a caller
    /// whose own line says why (the credentials socket's refusal).
    func counted(_ rejection: TaskRejection, receivedAt: Date) -> TaskResult {
        status.recorded(.rejected)
        connectors.count(namedConnectorID: rejection.namedConnectorID)
        return TaskResult.rejected(rejection, delegate: delegateName, receivedAt: receivedAt, finishedAt: clock.now())
    }

    /// A rejection's journal line limited apart from the others of its intake and code.
    enum RejectionKind: String {
        /// An SQS task deleted unrun with nowhere to answer: its line is its only trace.
        case deletedUnrun = "deleted-unrun"
    }

    /// The `rejected` result for a task that failed validation, counted and logged.
    /// - Parameters:
    ///   - logLimiter: rate-limits the warning: at every intake a producer can send invalid tasks
    ///     as fast as it likes (the socket, the spool, SQS).
    ///   - intake: where the task came from: the warnings are limited per intake and error code,
    ///     so that one producer's flood (a socket peer's invalid lines) never hides another
    ///     intake's rejections.
    ///   - kind: a kind of its own within them, for a rejection whose line is its only trace (an
    ///     SQS task deleted with nowhere to answer), which others of its code must not hide.
    func rejected(
        _ rejection: TaskRejection, receivedAt: Date, logger: Logger, logLimiter: LogRateLimiter,
        intake: TaskPrincipal.Intake, kind: RejectionKind? = nil
    ) -> TaskResult {
        let result = counted(rejection, receivedAt: receivedAt)
        var metadata: Logger.Metadata = [
            "event": "\(LogEventKind.taskRejected)", "error_code": "\(rejection.code.rawValue)",
        ]
        if let id = rejection.taskID { metadata["task_id"] = "\(id)" }
        if let connector = rejection.connectorID {
            metadata["connector_id"] = "\(connector)"
            metadata["connector_kind"] = rejection.connectorIsNamed ? "named" : "inline"
        }
        if let operation = rejection.operation { metadata["operation"] = "\(operation)" }
        let kindSuffix = kind.map { " " + $0.rawValue } ?? ""
        let key = "task-rejected \(intake.rawValue) \(rejection.code.rawValue)\(kindSuffix)"
        logLimiter.warning("task rejected: \(rejection.message)", metadata: metadata, key: key, logger: logger)
        return result
    }
}
