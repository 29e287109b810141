import AWSCore
import FileNames
import FoundationEssentials
import Glibc
import Logging
import Systemd
import TaskQueue

/// Takes tasks from the spool directory: notices them (inotify plus rescans), leaves tasks meant
/// for other delegates untouched in `new/`, claims the rest by `rename(2)`, runs them and writes
/// their results atomically before deleting the task file.
struct SpoolIntake: Sendable {
    let spool: Spool
    let dispatcher: TaskDispatcher
    /// Producers can drop any number of invalid files: their warnings are rate-limited.
    let logLimiter: LogRateLimiter
    let logger: Logger
    /// The results waiting to be written (a full disk, `done/` unusable): while any waits, no new
    /// task is claimed, so a backlog in `new/` is not run (its writes made, its results held in
    /// memory) for results nobody could collect. The daemon's, which its status line tells.
    var unwritten = InFlightCount()
    /// The last task that could not be claimed, until one is (or its file left `new/`, which
    /// ``watchClaimsDirectory(every:pause:look:)`` looks for): the daemon's, which its status tells.
    var claimFailure = SpoolClaimFailure()
    /// How long a result's writing (or `done/`'s sync) may take before it is logged and, unless
    /// its result is counted already, counted in ``unwritten`` until it returns
    /// (``watchResultWrites()``).
    var hangWarningAfter = Duration.seconds(60)
    /// The result writes in progress (``whileWatchingForAHang(_:resultID:counted:_:)``).
    let writeWatch = ResultWriteWatch()
    /// How long a call on a task's files (its read, claim, looks at `done/`, a deletion's claim
    /// sync) may hold its concurrency slot before the slot is given back until the call returns
    /// (``watchFileCalls()``).
    var slotGivenBackAfter = Duration.seconds(2)
    /// Those calls in progress (``holdingTheSlotUnlessItHangs(_:_:)``).
    let fileCalls = SpoolFileCallWatch()
    /// Tasks put back into `new/` for a while (``putBackForLater(_:owner:_:logger:)``).
    let deferred = DeferredSpoolTasks()
    /// Set when a claim found `cur/<delegate>/` gone (removed while the delegate ran), or a look
    /// (``watchClaimsDirectory(every:pause:look:)``) found it gone or no longer the directory locked at the
    /// start: no claim can succeed, or be safe, until the delegate starts again
    /// (``SpoolIntakeService`` stops it for that).
    let claimsRemoved = Condition<TaskQueueError?>(nil) { $0 != nil }

    /// Tasks a previous run of this delegate claimed but never finished (it died). The watcher is
    /// made after this, holding their names (`Spool.watch(rescanInterval:holding:)`), so that a
    /// file under one of them in `new/` waits until that task is done.
    /// A listing that fails for a passing reason (an I/O error, out of descriptors) is tried
    /// again, after `pause` (½, 1 and 2 s by default: the start waits for it); after the fourth
    /// failure the tasks stay claimed until the next start.
    func recover(pause: (Duration) async -> Void = { try? await Task.sleep(for: $0) }) async -> [ClaimedTask] {
        var delay = Duration.milliseconds(500)
        for attempt in 1...Self.recoveryAttempts {
            do {
                return try spool.recoverClaimed()  // (it logs how many it found)
            } catch {
                guard attempt < Self.recoveryAttempts else {
                    logger.error(
                        "tasks claimed before a restart cannot be listed, so they are not rerun until the next start: \(error)",
                        metadata: ["event": "spool-recovery-failed", "directory": "\(spool.claimDirectory)"])
                    spool.claimsUncheckedKeptResults()
                    break
                }
                logger.warning(
                    "tasks claimed before a restart cannot be listed; trying again: \(error)",
                    metadata: ["event": "spool-recovery-failed", "directory": "\(spool.claimDirectory)"])
                await pause(delay)
                delay *= 2
            }
        }
        return []
    }

    static let recoveryAttempts = 4

    /// Looks at `cur/<delegate>/` every `interval` (the rescan interval, read at each turn: a
    /// reload changes it), until cancelled or until it is found gone or replaced
    /// (``Spool/checkClaimsDirectory(statHeld:)``): a file system mounted over the spool after the
    /// start, or unmounted from under it, changes no claim by itself, and may come before any task
    /// does. A look that fails otherwise is logged (rate-limited) and made again at the next turn.
    ///
    /// - Parameters:
    ///   - pause: the wait between looks; tests pass their own.
    ///   - look: the look (``Spool/checkClaimsDirectory(statHeld:)`` when nil); tests make it fail.
    func watchClaimsDirectory(
        every interval: () -> Duration, pause: (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        look: (@Sendable () throws(TaskQueueError) -> Void)? = nil
    ) async {
        while !Task.isCancelled {
            await pause(interval())
            guard !Task.isCancelled else { return }
            // A task that could not be claimed is shown in the status until its file left new/.
            let (claimFailure, spool) = (claimFailure, spool)
            do throws(TaskQueueError) {
                try await spool.offPool { () throws(TaskQueueError) in
                    claimFailure.forgetIfGone(spoolDirectory: spool.directory)
                    if let look { try look() } else { try spool.checkClaimsDirectory() }
                }
            } catch  where error.code == .claimsRemoved {
                claimsRemoved.update { $0 = $0 ?? error }
                return
            } catch  where error.code == .cancelled {
                return  // the stop
            } catch {
                logLimiter.log(
                    .warning, "the spool's claims directory cannot be looked at: \(error)", key: "spool-claims-look",
                    logger: logger)
            }
        }
    }

    /// Runs the `recovered` tasks (``recover(pause:)``; `watcher` holds their names) and the watcher's
    /// until it is stopped, then lets the tasks it started finish.
    func run(watcher: SpoolWatcher, recovered: [ClaimedTask]) async {
        await withDiscardingTaskGroup { group in
            // As new tasks: none starts once the delegate is stopping. The rest stay claimed for
            // the next start's recovery.
            // Each with a turn and a slot (``TaskDispatcher/reserveSpoolTurn()``); the slot is
            // given back once the task ran, the turn once its result is filed.
            let started = await Self.start(recovered, reserveSlot: dispatcher.reserveSpoolTurn) { claimed in
                group.addTask {
                    await inTurn { slot in await runClaimed(claimed, receivedAt: dispatcher.now, slot: slot) }
                    watcher.release(claimed.name)
                }
            }
            for claimed in recovered.dropFirst(started) { watcher.release(claimed.name) }
            if started < recovered.count {
                logger.notice(
                    "stopping: \(recovered.count - started) task(s) claimed by an earlier run stay claimed for the next start"
                )
            }
            for await name in watcher {
                // A turn and a slot first, then the file: a busy delegate leaves tasks to the
                // others instead of hoarding claims it cannot run yet.
                guard await reserveSlotOnceResultsAreWritten() else {
                    watcher.release(name)
                    break
                }
                group.addTask {
                    await inTurn { slot in await consider(name, watcher: watcher, slot: slot) }
                }
            }
        }
    }

    /// Runs `work` in the spool turn and with the slot ``TaskDispatcher/reserveSpoolTurn()`` gave
    /// (the slot as a ``HeldSlot``, which `work` may give back early), then gives back both.
    private func inTurn(_ work: (HeldSlot) async -> Void) async {
        let slot = HeldSlot { dispatcher.releaseSlots() }
        await work(slot)
        slot.release()
        dispatcher.releaseSpoolTurn()
    }

    /// A spool turn and a concurrency slot for the next task (``TaskDispatcher/reserveSpoolTurn()``),
    /// had when no result waits to be written: while one cannot be (a full disk, `done/`
    /// unusable), a new task's operation would be made (writes too) and its result held for
    /// nobody to collect. The tasks wait in `new/`, for this delegate once its results are
    /// written, or for another. False at the stop.
    private func reserveSlotOnceResultsAreWritten() async -> Bool {
        while true {
            if unwritten.current > 0 {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await unwritten.waitUntilIdle() }
                    group.addTask { await dispatcher.waitUntilStopping() }
                    await group.next()
                    group.cancelAll()
                }
            }
            guard await dispatcher.reserveSpoolTurn() else { return false }
            // A result may have failed while this waited.
            guard unwritten.current > 0 else { return true }
            dispatcher.releaseSlots()
            dispatcher.releaseSpoolTurn()
        }
    }

    /// Starts each of `claimed` as `reserveSlot` (a spool turn and a slot,
    /// ``TaskDispatcher/reserveSpoolTurn()``) has them for it, until it says no (the delegate is
    /// stopping, or the intake was cancelled); how many started.
    static func start(
        _ claimed: [ClaimedTask], reserveSlot: () async -> Bool, _ start: (ClaimedTask) -> Void
    ) async -> Int {
        for (index, task) in claimed.enumerated() {
            guard await reserveSlot() else { return index }
            start(task)
        }
        return claimed.count
    }

    /// Looks at one file in `new/`: leave it, reject it, or claim and run it.
    private func consider(_ name: String, watcher: SpoolWatcher, slot: HeldSlot) async {
        // Handed back once: by `markSkipped` (a task for others), else released here. A release
        // after `markSkipped` could free the name from a second handout already under way.
        var handedBack = false
        defer { if !handedBack { watcher.release(name) } }
        let receivedAt = dispatcher.now
        // Put back a moment ago: left for a later rescan.
        if deferred.isWaiting(name, now: receivedAt) { return }
        // The read, the judgement and the claim with its first looks, in one trip to the spool's
        // threads (each trip there and back costs two threads' wakes).
        // Before the match: a reload that changes the tags after it must not leave the file skipped.
        let skipEpoch = watcher.skipEpoch
        let look: SpoolLook
        do {
            look = try await offPoolHoldingTheSlot(name) {
                lookAndClaim(name, skipEpoch: skipEpoch, receivedAt: receivedAt)
            }
        } catch {
            return  // the stop gave it up (a claim made after is put back into new/, or recovered)
        }
        switch look {
        case .left:
            return
        case .unreadable(let error):
            logLimiter.log(
                .error, "spool task \(name) cannot be read now; it stays in new/: \(error)", key: "spool-read-failed",
                logger: logger)
        case .forOthers(let taskID, let fingerprint):
            // Marked here, not on the lane: a stop that gave the trip up must not find the name
            // handed back already (the defer would release it a second time).
            watcher.markSkipped(name, fingerprint: fingerprint, epoch: skipEpoch)
            handedBack = true
            logger.debug("spool task left for another delegate", metadata: ["task_id": "\(taskID)"])
        case .unclaimable(let error) where error.code == .claimsRemoved:
            // The file stays in new/, for the next start.
            claimsRemoved.update { $0 = $0 ?? error }
        case .unclaimable(let error):
            // Rate-limited: a producer's entry that cannot be moved (a directory it gave no write
            // permission, a name still claimed) comes back at every rescan.
            logLimiter.log(
                .error, "spool task \(name) cannot be claimed: \(error)", key: "spool-claim-failed", logger: logger)
            claimFailure.failed(name, "\(error)")
        case .claimed(let claimed, let looks, let file, let document, let generation):
            claimFailure.claimed()
            await runClaimed(
                claimed, peeked: file, document: document, peekedUnder: generation, looks: looks,
                receivedAt: receivedAt, slot: slot)
        }
    }

    /// What ``lookAndClaim(_:skipEpoch:receivedAt:)`` found for a file in `new/`.
    enum SpoolLook: Sendable {
        /// Gone (another delegate took it), deferred with its owner's, or the stop began.
        case left
        /// It cannot be read now (a passing failure): it stays in `new/`.
        case unreadable(TaskQueueError)
        /// A task for other delegates, to be marked skipped (handed back to the watcher) as it was
        /// then.
        case forOthers(taskID: String, fingerprint: FileFingerprint)
        case unclaimable(TaskQueueError)
        /// Claimed, with what was read of it (nil: unreadable for good, rejected once run), its
        /// parse and the connectors' generation it was judged under.
        case claimed(ClaimedTask, ClaimedLooks, SpoolTaskFile?, TaskDocument?, UInt64)
    }

    /// Looks at one file in `new/` (on the spool's threads): leave it, hand it back for other
    /// delegates, or claim it with its first looks.
    private func lookAndClaim(_ name: String, skipEpoch: UInt64, receivedAt: Date) -> SpoolLook {
        let file: SpoolTaskFile?
        do {
            guard let read = try spool.read(name) else { return .left }  // another delegate took it
            file = read
        } catch  where Self.isPropertyOfTheEntry(error) {
            // Unreadable for good (no permission, a socket): claimed and rejected below, once,
            // instead of being logged at every rescan forever.
            file = nil
        } catch {
            return .unreadable(error)
        }
        // One of an owner the user database could not answer for a moment ago: left too, unasked.
        if let file, deferred.isWaiting(owner: file.ownerUID, now: receivedAt) { return .left }
        let document: TaskDocument?
        if let file, case .data(let data) = file.contents { document = TaskDocument(data) } else { document = nil }
        // Before the match: a reload that changes the tags after it must not have it run as matched
        // (``judgeAndRun`` matches again under another generation).
        let generation = dispatcher.connectors.generation
        if let file, let envelope = document?.envelopeForSelection,
            // A named connector's selectors are the host's; an id unknown here (nil) is claimed
            // and rejected as the contract says, whatever the tags.
            let selectors = dispatcher.connectors.selectors(for: envelope)
        {
            let decision = dispatcher.matches(selectors)
            guard decision.isAccepted else {
                return .forOthers(
                    taskID: envelope.validID ?? file.defaultID, fingerprint: file.fingerprint)
            }
        }
        // A stop that began while the file was read leaves it in new/, for the next start or
        // another delegate: a claim now would hold it here, maybe past the grace period.
        guard !dispatcher.isStopping else { return .left }
        do {
            guard let claimed = try claimToRun(name) else { return .left }
            return .claimed(claimed, ClaimedLooks(claimed, peeked: file, in: spool), file, document, generation)
        } catch {
            return .unclaimable(error)
        }
    }

    /// Claims `name` to run it; nil if another delegate took it, or if the stop began as it was
    /// claimed: then it goes back to `new/` unstarted (no spool task starts after `STOPPING=1`).
    func claimToRun(_ name: String) throws(TaskQueueError) -> ClaimedTask? {
        guard let claimed = try spool.claim(name) else { return nil }
        guard dispatcher.isStopping else { return claimed }
        var reason = "new/ has a file of that name"
        do {
            if try spool.unclaim(claimed) { return nil }
        } catch {
            // Where hard links are how the rename is made, protected_hardlinks may refuse one.
            reason = "\(error)"
        }
        logger.notice(
            "stopping: spool task \(name), claimed as the stop began, stays claimed for the next start (\(reason))")
        return nil
    }

    /// Runs a claimed task and files its result. The claimed file is what runs: `peeked`, the
    /// file as read before the claim, only if the claim moved that very file (else it is read
    /// again; a task recovered at start has none). `document`, the peeked file's parse, is used
    /// only for the very bytes that run, matched under `peekedUnder`, the connectors' generation
    /// then. `slot`, the concurrency slot the task holds, is given back once it ran, before its
    /// result is filed.
    func runClaimed(
        _ claimed: ClaimedTask, peeked: SpoolTaskFile? = nil, document peekedDocument: TaskDocument? = nil,
        peekedUnder: UInt64? = nil, looks: ClaimedLooks? = nil, receivedAt: Date, slot: HeldSlot? = nil
    ) async {
        // Never rerun a task whose result may be waiting: tried again until it can be read.
        guard
            case .success(let kept)? = await untilRead(
                "the kept result of", claimed, first: looks?.kept,
                { () throws(TaskQueueError) in
                    try spool.pendingResult(for: claimed)
                })
        else { return }
        var logger = logger
        if let pending = kept {
            // The task ran before a restart; only its result was waiting to be written.
            if let owner = spool.owner(of: claimed) { logger[metadataKey: "peer_uid"] = "\(owner)" }
            logger.notice(
                "writing the result kept from before the restart; the task is not run again",
                metadata: ["task_id": "\(pending.resultID)"])
            await file(
                pending.result, resultID: pending.resultID, for: claimed, describing: nil, keptOnDisk: true,
                slot: slot, logger: logger)
            return
        }
        let resultID = Self.resultID(for: claimed.defaultID)
        let result: TaskResult
        var connectorKind: ConnectorKind?
        let read = await untilRead("claimed task", claimed, finalWhen: Self.isPropertyOfTheEntry, first: looks?.read) {
            () throws(TaskQueueError) in try spool.read(claimed, peeked: peeked)
        }
        guard var read else { return }
        // A second name may be a producer's own for a moment, where its rename is a link then an
        // unlink (NFS, which has no RENAME_NOREPLACE): looked at again once, a moment later and
        // holding no slot, before it is taken for another's (``SpoolTaskFile/linkCount``). Only
        // where it matters: a named connector's task from a file only its owner may write.
        if case .success(let file?) = read, let names = file.linkCount, file.writableByOthersMode == nil,
            case .data(let data) = file.contents, TaskDocument(data).envelope?.connectorName != nil
        {
            logger.debug(
                "the task file \(claimed.name) has \(names) names; looked at again in a moment",
                metadata: ["event": "spool-second-name"])
            var delay = Self.secondNamePause
            guard await pauseWithoutSlot(&delay) else { return }
            guard
                let again = await untilRead(
                    "claimed task", claimed, finalWhen: Self.isPropertyOfTheEntry,
                    {
                        () throws(TaskQueueError) in try spool.read(claimed)
                    })
            else { return }
            read = again
        }
        // With the file's owner once it is known: every line about the task says whose it is.
        switch read {
        case .failure(let error):  // the entry's own (passing failures were tried again)
            if let owner = spool.owner(of: claimed) { logger[metadataKey: "peer_uid"] = "\(owner)" }
            result = rejected(
                "the task file cannot be read by the delegate (\(Self.reason(error))); it was removed",
                resultID: resultID,
                receivedAt: receivedAt, logger: logger)
        case .success(nil):
            return
        case .success(let file?):
            logger[metadataKey: "peer_uid"] = "\(file.ownerUID)"
            switch file.contents {
            case .oversize(let bytes):
                result = rejected(
                    "the task file is \(bytes) bytes; at most \(DelegateTask.maximumSize) are allowed",
                    resultID: resultID,
                    receivedAt: receivedAt, logger: logger)
            case .notRegularFile:
                result = rejected(
                    "the task file is not a regular file", resultID: resultID, receivedAt: receivedAt, logger: logger)
            case .data(let data):
                let (document, matchedAtPeek) = Self.document(of: data, peeked: peekedDocument)
                if let refusal = Self.ownerRefusal(of: file, document: document, claimed) {
                    result = dispatcher.rejected(
                        refusal, receivedAt: receivedAt, logger: logger, logLimiter: logLimiter, intake: .spool)
                    break
                }
                guard
                    let ran = await judgeAndRun(
                        claimed, document: document, owner: file.ownerUID,
                        matchedUnder: matchedAtPeek ? peekedUnder : nil,
                        receivedAt: receivedAt, slot: slot, logger: logger)
                else { return }
                (result, connectorKind) = ran
            }
        }
        if Task.isCancelled, result.error?.isFinal == false {
            // Cut off by a stop after the grace period: it stays claimed and runs again at the
            // next start (its idempotency token makes a repeated write harmless).
            return
        }
        let finalID = Self.resultID(for: result.id ?? resultID)
        var line = result.jsonBytes
        line.append(UInt8(ascii: "\n"))
        await file(
            Data(line), resultID: finalID, for: claimed, describing: result, connectorKind: connectorKind, slot: slot,
            logger: logger)
    }

    /// `attempt` (a read of a claimed task's files) until it succeeds or fails for a reason that
    /// is the entry's own (`finalWhen`): a passing failure (EIO, EMFILE) is logged once and tried
    /// again after a pause that holds no slot (1 s, doubling to 30 s), since the claimed task
    /// would otherwise wait for the next start. Nil when the delegate stops first: the task stays
    /// claimed for the next start. Each attempt runs off the cooperative pool, its slot given back
    /// while it hangs (``offPoolHoldingTheSlot(_:_:)``); `first`, an attempt made already (with
    /// the claim: ``ClaimedLooks``), stands for the first.
    func untilRead<Value: Sendable>(
        _ what: String, _ claimed: ClaimedTask, finalWhen isFinal: (TaskQueueError) -> Bool = { _ in false },
        first: Result<Value, TaskQueueError>? = nil, _ attempt: @escaping @Sendable () throws(TaskQueueError) -> Value
    ) async -> Result<Value, TaskQueueError>? {
        var delay = Duration.seconds(1)
        var failed = false
        var made = first
        while true {
            let outcome: Result<Value, TaskQueueError>
            if let first = made {
                outcome = first
                made = nil
            } else {
                do throws(TaskQueueError) {
                    outcome = .success(try await offPoolHoldingTheSlot(claimed.name, attempt))
                } catch {
                    outcome = .failure(error)
                }
            }
            switch outcome {
            case .success:
                if failed { logger.notice("\(what) \(claimed.name) could be read again") }
                return outcome
            case .failure(let error) where isFinal(error):
                return outcome
            case .failure(let error) where error.code == .cancelled:
                return nil  // the stop: the task stays claimed for the next start
            case .failure(let error):
                if !failed {
                    failed = true
                    logger.error(
                        "\(what) \(claimed.name) cannot be read now; tried again: \(error)",
                        metadata: ["task_id": "\(Self.resultID(for: claimed.defaultID))"])
                }
                // A stop that came during the pause starts nothing more: the slot is held again,
                // which the caller gives back.
                guard await pauseWithoutSlot(&delay), !dispatcher.isStopping, !Task.isCancelled else {
                    logger.warning("stopping with \(what) \(claimed.name) unread; it stays claimed for the next start")
                    return nil
                }
            }
        }
    }

    /// `call`, on a task's files (`name`'s) while the task holds its concurrency slot, on the
    /// spool's threads (``Spool/offPool(for:_:)``), watched (``holdingTheSlotUnlessItHangs(_:_:)``).
    func offPoolHoldingTheSlot<Value: Sendable>(
        _ name: String, _ call: @escaping @Sendable () throws(TaskQueueError) -> Value
    ) async throws(TaskQueueError) -> Value {
        try await holdingTheSlotUnlessItHangs(name) { () async throws(TaskQueueError) -> Value in
            try await spool.offPool(call)
        }
    }

    /// `call`, a wait on a task's files (`name`'s: a read, a claim, an fsync) while the task
    /// holds its concurrency slot: if it has not returned after ``slotGivenBackAfter`` the slot
    /// is given back meanwhile (``watchFileCalls()``), and held again once it returns; when the
    /// stop ends that wait, it is taken past the limit, as ``pauseWithoutSlot(_:)`` does (the
    /// caller gives it back).
    func holdingTheSlotUnlessItHangs<Value>(
        _ name: String, _ call: () async throws(TaskQueueError) -> Value
    ) async throws(TaskQueueError) -> Value {
        let ticket = fileCalls.begin(name, now: .now)
        let outcome: Result<Value, TaskQueueError>
        do throws(TaskQueueError) {
            outcome = .success(try await call())
        } catch {
            outcome = .failure(error)
        }
        if let hung = fileCalls.end(ticket) {
            // (Given up at the stop, it has not returned: not said.)
            let givenUp = if case .failure(let error) = outcome { error.code == .cancelled } else { false }
            if !givenUp {
                logLimiter.log(
                    .notice, "the spool's call on \(hung.name) returned, after hanging",
                    key: "spool-file-call-hang-ended", logger: logger)
            }
            _ = await dispatcher.waitForSlotUnlessCancelled()
        }
        return try outcome.get()
    }

    /// Looks over the calls on tasks' files in progress every quarter of ``slotGivenBackAfter`` until
    /// cancelled (the stop): one that has taken that long gives its task's slot back until it
    /// returns, and is logged (a warning, rate-limited: every spool call hangs with its file
    /// system).
    func watchFileCalls() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: slotGivenBackAfter / 4)
            guard !Task.isCancelled else { return }
            let hung = fileCalls.giveBackSlots(after: slotGivenBackAfter, now: .now) { dispatcher.releaseSlots() }
            for call in hung {
                logLimiter.log(
                    .warning,
                    """
                    the spool's call on \(call.name) has not returned after \(slotGivenBackAfter.components.seconds) s \
                    (a file system that hangs: frozen, a hard mount whose server is gone?); its task's slot is given \
                    back meanwhile
                    """,
                    key: "spool-file-call-hung", logger: logger)
            }
        }
    }

    /// Waits `delay` (then doubled, at most 30 s) without holding a concurrency slot, so other
    /// tasks (the socket's too) keep running; false, at once, when the delegate stops. The slot
    /// is held again either way (the caller gives it back); when the stop ends the wait for it
    /// (as it ends every wait for a slot), it is taken past the limit rather than waited for:
    /// tasks past the stop's grace may hold every slot until their deadlines, far beyond the
    /// stop's 90 s.
    private func pauseWithoutSlot(_ delay: inout Duration) async -> Bool {
        if dispatcher.isStopping || Task.isCancelled { return false }
        dispatcher.releaseSlots()
        let paused = await pause(&delay)
        guard await dispatcher.waitForSlotUnlessCancelled() else { return false }
        return paused
    }

    /// Waits `delay` (then doubled, at most 30 s), for work that holds no slot (a result's
    /// writing); false when the delegate stops, before the wait or during it.
    private func pause(_ delay: inout Duration) async -> Bool {
        if dispatcher.isStopping || Task.isCancelled { return false }
        try? await Task.sleep(for: delay)
        if dispatcher.isStopping || Task.isCancelled { return false }
        delay = min(delay * 2, .seconds(30))
        return true
    }

    /// Writes a finished task's result to `done/` and deletes the task file. A result that cannot
    /// be written (a full disk, say) is kept and retried with backoff while the delegate runs, and
    /// kept beside the claimed task across a restart: the AWS call is never made again for it.
    /// - Parameters:
    ///   - keptOnDisk: the result is kept beside the claimed task already (one from before a
    ///     restart), so it is not written there again.
    ///   - slot: the task's concurrency slot, given back first: writing the result needs none,
    ///     and a file system that hangs (frozen, a hard mount gone) must not keep socket and SQS
    ///     tasks from every slot. The task's spool turn bounds how many results may so wait.
    private func file(
        _ data: Data, resultID: String, for claimed: ClaimedTask, describing result: TaskResult?,
        connectorKind: ConnectorKind? = nil, keptOnDisk alreadyKept: Bool = false, slot: HeldSlot?, logger: Logger
    ) async {
        slot?.release()
        var delay = Duration.seconds(1)
        // Counted in `unwritten` since the first failure.
        var waiting = false
        // Kept beside the claimed task, where a restart finds it: tried at every retry until it
        // is (the disk may take it later though done/ still refuses the result).
        var keptOnDisk = alreadyKept
        defer { if waiting { unwritten.leave() } }
        while true {
            do {
                try await whileWatchingForAHang(
                    "writing the result for \(claimed.name)", resultID: resultID, counted: !waiting
                ) { () throws(TaskQueueError) in
                    try await spool.complete(claimed, resultID: resultID, result: data)
                }
                if waiting {
                    logLimiter.log(
                        .notice, "the kept result was written", metadata: ["task_id": "\(resultID)"],
                        key: "spool-kept-result-written", logger: logger)
                }
                return
            } catch  where error.code == .resultExists {
                // Another task with this id finished first (both were in flight at once), or, for
                // a task recovered at a start (a rejected one, which `resultIsWaiting` did not
                // see), this task's own result from before the restart, its name maybe not yet
                // durable: done/ is synced before the task file goes, which is kept if that fails.
                guard await resultInDoneIsDurable(for: claimed, resultID: resultID, counted: !waiting) else {
                    return
                }
                discard(claimed, resultID: resultID)
                logDropped(resultID: resultID, describing: result, connectorKind: connectorKind, logger: logger)
                return
            } catch {
                let first = !waiting
                if first {
                    waiting = true
                    unwritten.enter()
                }
                if !keptOnDisk {
                    keptOnDisk = await keepOnDisk(data, resultID: resultID, for: claimed, logged: first)
                    if keptOnDisk, !first {
                        logLimiter.log(
                            .notice,
                            "the result for \(claimed.name) is now kept beside the claimed task; a restart writes it, the task is not run again",
                            metadata: ["task_id": "\(resultID)"], key: "spool-result-kept-later", logger: logger)
                    }
                }
                if first {
                    logUnwritable(claimed, resultID: resultID, error: error, keptOnDisk: keptOnDisk, logger: logger)
                }
                guard await pause(&delay) else {
                    spool.forgetPlacedResult(claimed)
                    logger.warning(
                        "stopping with the result for \(claimed.name) unwritten; it stays claimed (the next start writes a kept result, or runs the task again)",
                        metadata: ["task_id": "\(resultID)"])
                    return
                }
            }
        }
    }

    /// The warning for a result dropped because an uncollected result for its id is in done/.
    /// Not `task-rejected`: the task's own outcome line (succeeded, failed, or rejected for a file
    /// that was no valid task; counted in status) came just before this one.
    private func logDropped(
        resultID: String, describing result: TaskResult?, connectorKind: ConnectorKind?, logger: Logger
    ) {
        var metadata: Logger.Metadata = [
            "event": "spool-result-dropped", "task_id": "\(resultID)",
            "error_code": "\(TaskFailure.Code.duplicateTask.rawValue)",
        ]
        if let connector = result?.connectorId { metadata["connector_id"] = "\(connector)" }
        if let connectorKind { metadata["connector_kind"] = "\(connectorKind)" }
        if let operation = result?.operation { metadata["operation"] = "\(operation)" }
        // Rate-limited: a producer can drop any number of invalid files under one id.
        logLimiter.log(
            .warning,
            """
            task finished, but an uncollected result for its id was written to done/ meanwhile \
            (or, for a task recovered at a start, before the restart: maybe its own); \
            that result is kept and this task's result is dropped (it would replace the first); \
            the task file was deleted
            """,
            metadata: metadata, key: "spool-result-dropped", logger: logger)
    }

    /// The error for a result's first failed write: what a stop before the write means, said as it
    /// is (only a result kept on disk outlives the process).
    private func logUnwritable(
        _ claimed: ClaimedTask, resultID: String, error: TaskQueueError, keptOnDisk: Bool, logger: Logger
    ) {
        let outcome =
            keptOnDisk
            ? "kept beside the claimed task and retried, the task is not run again (a restart writes the kept result)"
            : "kept in memory and retried while the delegate runs (kept on disk as soon as it can be); if it stops first, the task runs again at the next start"
        // Rate-limited: a producer can plant what blocks a result's name, task after task.
        logLimiter.log(
            .error,
            "result for \(claimed.name) cannot be written: \(error); \(outcome); no new spool task is claimed until it is",
            metadata: ["task_id": "\(resultID)"], key: "spool-result-unwritable", logger: logger)
    }

    /// Keeps `data` beside the claimed task (``Spool/keepPendingResult(_:resultID:result:)``),
    /// also when it is in done/ already (only the fsync failed): a restart then writes it again,
    /// maybe after its producer collected it, which beats running the task again. False if the
    /// disk refused it (logged, rate-limited, when `logged`).
    private func keepOnDisk(_ data: Data, resultID: String, for claimed: ClaimedTask, logged: Bool) async -> Bool {
        do {
            // Counted in `unwritten` already (the write failed first).
            try await whileWatchingForAHang(
                "keeping the result for \(claimed.name)", resultID: resultID, counted: false
            ) { () throws(TaskQueueError) in
                try await spool.keepPendingResult(claimed, resultID: resultID, result: data)
            }
            return true
        } catch {
            if logged {
                logLimiter.log(
                    .error, "the result for \(claimed.name) cannot be kept on disk either: \(error)",
                    key: "spool-result-unkept", logger: logger)
            }
            return false
        }
    }

    /// Before a task whose id's result is in `done/` is deleted: for a task recovered at a start
    /// that result may be its own, its name not yet durable, so `done/` is synced first. False
    /// (logged) when that fails: the task file is kept for the next start.
    /// `counted`: false when the caller's result is counted as waiting already.
    /// `resultID`: the task's id as its result and journal lines name it (not always its file's).
    func resultInDoneIsDurable(for claimed: ClaimedTask, resultID: String, counted: Bool = true) async -> Bool {
        guard claimed.recovered else { return true }
        do {
            try await whileWatchingForAHang(
                "syncing done/ for \(claimed.name)", resultID: nil, counted: counted
            ) { () throws(TaskQueueError) in
                try await spool.syncResults()
            }
            return true
        } catch {
            logger.error(
                "the result for \(claimed.name) is in done/, but done/ cannot be synced; the task file is kept: \(error)",
                metadata: ["event": "spool-done-unsynced", "task_id": "\(resultID)"])
            return false
        }
    }

    /// Deletes `claimed`, whose task (named by `resultID`, as its result is) gets no result.
    func discard(_ claimed: ClaimedTask, resultID: String) {
        do {
            try spool.discard(claimed)
        } catch {
            logLimiter.log(
                .error, "the task file \(claimed.name) cannot be deleted: \(error)",
                metadata: ["task_id": "\(resultID)"], key: "spool-task-undeletable",
                logger: logger)
        }
    }

    /// Whether a failure to read a spool entry belongs to the entry itself (its permissions, its
    /// kind), so that retrying cannot help and it is rejected; anything else (out of descriptors
    /// or memory, I/O errors) may pass, and the entry waits.
    static func isPropertyOfTheEntry(_ error: TaskQueueError) -> Bool {
        guard let number = error.errno else { return false }
        return [EACCES, EPERM, ENXIO, ELOOP, EISDIR, ENODEV, EOPNOTSUPP, ENAMETOOLONG].contains(number)
    }

    private static func reason(_ error: TaskQueueError) -> String {
        guard let number = error.errno else { return "\(error.code)" }
        return String(cString: strerror(number))
    }

    /// How long a task file with a second name is given to lose it (a producer's link, then
    /// unlink, on NFS) before it is read again.
    static let secondNamePause = Duration.seconds(1)

    /// Result files are named by task id; a file's stem that is no valid id (a task without an id
    /// of its own in `a b.json`) names its result `invalid-name-<hex>`, as the watcher renames a
    /// name it cannot judge: made into a plausible id (`a_b`), it answered that id's producer.
    static func resultID(for id: String) -> String {
        DelegateTask.isValidID(id) ? id : SpoolName.repairedStem(Array(id.utf8))
    }
}
