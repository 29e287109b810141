import AWSCore
import FoundationEssentials
import Logging
import Systemd
import TaskQueue

/// How a claimed spool task is judged before it runs: a file that cannot be a task, the
/// connectors' admission, the selectors again (what runs is what was claimed), a result already
/// waiting in `done/`, and the stop.
extension SpoolIntake {
    /// Admits the task `document` holds (claimed as `claimed`, its file owned by `owner`) and runs
    /// it: its result and its connector's kind, or nil when there is nothing to write (put back
    /// for later or for other delegates, a result already waiting, the stop). `matchedUnder`:
    /// these very bytes were matched against the tags before the claim, under this generation of
    /// the connectors (``ConnectorCatalog/generation``, read before the match): a reload since
    /// has them matched again, under the tags and selectors in force.
    func judgeAndRun(
        _ claimed: ClaimedTask, document: TaskDocument, owner: UInt32, matchedUnder: UInt64?, receivedAt: Date,
        slot: HeldSlot? = nil, logger: Logger
    ) async -> (result: TaskResult, connectorKind: ConnectorKind?)? {
        let connectors = dispatcher.connectors
        let admit = {
            Result(catching: { () throws(TaskRejection) in
                try connectors.admit(document, defaultID: claimed.defaultID, by: .spoolFile(ownerUID: owner))
            })
        }
        let generation = connectors.generation
        let matchedAtPeek = matchedUnder == generation
        let admitted = admit()
        if claimed.recovered, case .success(let task) = admitted {
            // One recovered whose result is in done/ already (its run died before removing
            // it) is done: discarded as DuplicateTask, not handed to others to run again.
            if await resultIsWaiting(for: task, claimed: claimed, receivedAt: receivedAt, slot: slot, logger: logger) {
                return nil
            }
        }
        switch admitted {
        case .failure(let rejection):
            if rejection.retryable, putBackForLater(claimed, owner: owner, rejection, logger: logger) { return nil }
            let result = dispatcher.rejected(
                rejection, receivedAt: receivedAt, logger: logger, logLimiter: logLimiter, intake: .spool)
            return (result, nil)
        case .success(var task):
            // Claimed by an earlier run that gave no result: it may have made its calls.
            if claimed.recovered { task.earlierRunSince = spool.claimedAt(claimed).map { .host($0) } }
            // What runs is what was claimed, which may not be what the peek matched (the
            // file was replaced in between, or could not be judged then; one recovered at
            // start may have been claimed by a run that stopped before it judged it, and
            // the tags may have changed since): a task for other delegates goes back to
            // new/ for them. (The peeked bytes themselves were matched, or would not
            // decode: not matched again.)
            if !matchedAtPeek,
                case let decision = dispatcher.matches(task.connector.delegateSelectors), !decision.isAccepted
            {
                guard let refused = leaveForOthers(claimed, task, decision, receivedAt: receivedAt, logger: logger)
                else { return nil }
                return (refused, task.connectorKind)
            }
            if !claimed.recovered,
                await resultIsWaiting(for: task, claimed: claimed, receivedAt: receivedAt, slot: slot, logger: logger)
            {
                return nil
            }
            // A deletion is the one write without an idempotency token: a run again after
            // a power loss confirms its own earlier deletion only if it knows of the
            // earlier run, so its claim must be on disk before it is sent.
            // (Before the look at the stop: the fsync may take a while.)
            if !claimed.recovered, task.operation.name == .deleteSecret {
                do {
                    try await holdingTheSlotUnlessItHangs(claimed.name) { () async throws(TaskQueueError) in
                        try await spool.makeClaimDurable()
                    }
                } catch {
                    logLimiter.log(
                        .warning,
                        "the claim of spool task \(claimed.name) could not be made durable; it runs, and if the host "
                            + "loses power before its result it may be claimed again as new, its own deletion then "
                            + "refused as someone else's: \(error)",
                        metadata: ["task_id": "\(task.id)"], key: "spool-claim-sync-failed", logger: logger)
                }
            }
            // The looks at done/ and the claim's sync may wait (done/ that cannot be looked at,
            // a slow disk): a reload meanwhile judges the task again, admission and selectors,
            // under the connectors and tags in force (one that takes access away, or moves the
            // connector to other delegates, does so at once).
            if connectors.generation != generation {
                return await judgeAndRun(
                    claimed, document: document, owner: owner, matchedUnder: nil, receivedAt: receivedAt, slot: slot,
                    logger: logger)
            }
            // A stop that began since the claim (as the file was read) starts nothing:
            // not counted in flight, the drain would not wait for it.
            guard !dispatcher.isStopping else {
                logger.notice(
                    "stopping: spool task \(claimed.name), claimed before the stop, stays claimed for the next start",
                    metadata: ["task_id": "\(task.id)"])
                return nil
            }
            logger.info(
                "task claimed",
                metadata: [
                    "event": "\(LogEventKind.taskClaimed)", "task_id": "\(task.id)",
                    "connector_id": "\(task.connector.id)",
                    "connector_kind": "\(task.connectorKind)",
                    "operation": "\(task.operation.name.rawValue)",
                ])
            return (await dispatcher.run(task, receivedAt: receivedAt, logger: logger), task.connectorKind)
        }
    }

    /// The refusal of a task read from a file its group or others may write
    /// (``SpoolTaskFile/writableByOthersMode``), or that has more than one name
    /// (``SpoolTaskFile/linkCount``), if it names a named connector: its owner is that connector's
    /// principal (its `allowed_users` and `allowed_groups`), and another producer in the spool
    /// group could have written it, or could queue it again. Nil for an inline connector's, which
    /// needs no principal and runs, as before named connectors. Judged from the envelope, before
    /// any list is asked about the owner; under the task's own id, as every refusal of a task read
    /// (its result is looked for there). The decoder resolves a named connector from the very
    /// field the envelope reads (a string).
    static func ownerRefusal(of file: SpoolTaskFile, document: TaskDocument, _ claimed: ClaimedTask) -> TaskRejection? {
        guard file.writableByOthersMode != nil || file.linkCount != nil, let envelope = document.envelope,
            let named = envelope.connectorName
        else { return nil }
        let why =
            file.writableByOthersMode.map {
                "the task file has mode 0\(String($0, radix: 8)): others than its owner may write it"
            }
            ?? "the task file has \(file.linkCount ?? 0) names (hard links): whoever made another could have "
            + "written it, or keep it to queue the task again"
        return TaskRejection(
            code: .invalidTask,
            message: why + ", so it cannot run as its owner's with a named connector; create each task file 0640 "
                + "from the start (umask 027), readable by the spool's group, and rename it into new/",
            taskID: envelope.validID ?? claimed.defaultID, connectorID: named, connectorIsNamed: true)
    }

    /// The `InvalidTask` rejection of a claimed file, counted and logged, under the result id its
    /// name gives.
    func rejected(_ message: String, resultID: String, receivedAt: Date, logger: Logger) -> TaskResult {
        dispatcher.rejected(
            TaskRejection(code: .invalidTask, message: message, taskID: resultID), receivedAt: receivedAt,
            logger: logger, logLimiter: logLimiter, intake: .spool)
    }

    /// A task refused only because the user database could not answer for its owner (a directory
    /// service down, descriptors exhausted): put back into `new/` (true) and looked at again at a
    /// rescan ``DeferredSpoolTasks/pause`` later at the soonest, with its owner's other tasks,
    /// since its producer asked once and the answer would only tell it to ask again. False if it
    /// cannot go back (a new file of its name is there; on a file system without
    /// `RENAME_NOREPLACE`, NFS, the link that stands in for it is refused): then it is answered.
    private func putBackForLater(
        _ claimed: ClaimedTask, owner: UInt32, _ rejection: TaskRejection, logger: Logger
    ) -> Bool {
        // Before the rename: the event it makes must find the name waiting.
        deferred.defer(claimed.name, owner: owner, now: dispatcher.now)
        let taskField: Logger.Metadata = rejection.taskID.map { ["task_id": "\($0)"] } ?? [:]
        do {
            if try spool.unclaim(claimed) {
                logLimiter.log(
                    .warning, "spool task \(claimed.name) stays in new/ to be tried again later: \(rejection.message)",
                    metadata: taskField, key: "spool-user-database",
                    logger: logger)
                return true
            }
            logLimiter.log(
                .warning,
                "spool task \(claimed.name) cannot go back to new/ to be tried again, so it is answered: "
                    + "a new file of its name is there", metadata: taskField,
                key: "spool-put-back-failed", logger: logger)
        } catch {
            logLimiter.log(
                .warning,
                "spool task \(claimed.name) cannot go back to new/ to be tried again, so it is answered: \(error)",
                metadata: taskField, key: "spool-put-back-failed",
                logger: logger)
        }
        deferred.forget(claimed.name)
        return false
    }

    /// A claimed task this delegate is not selected for: put back into `new/` (nil: no result);
    /// if it cannot go back (a new file of its name is there), its `NotSelected` rejection.
    private func leaveForOthers(
        _ claimed: ClaimedTask, _ task: DelegateTask, _ decision: SelectionDecision, receivedAt: Date, logger: Logger
    ) -> TaskResult? {
        do {
            if try spool.unclaim(claimed) {
                logger.debug("spool task left for another delegate", metadata: ["task_id": "\(task.id)"])
                return nil
            }
        } catch {
            logger.warning(
                "spool task \(claimed.name) is for other delegates and cannot go back to new/: \(error)",
                metadata: ["task_id": "\(task.id)"])
        }
        return dispatcher.notSelected(
            task, decision: decision, receivedAt: receivedAt, logLimiter: logLimiter, intake: .spool, logger: logger)
    }

    /// The parse of `data`: the peeked one if it was made of these very bytes (the claim moved the
    /// file that was peeked at; `matchedAtPeek`), else a parse of its own (the file was replaced in
    /// between).
    static func document(of data: Data, peeked: TaskDocument?) -> (document: TaskDocument, matchedAtPeek: Bool) {
        if let peeked, peeked.data == data { return (peeked, true) }
        return (TaskDocument(data), false)
    }

    /// True (and the task file deleted, the refusal logged) when `done/` still holds an
    /// uncollected result named by this task's id: the task is not run, and no result is written
    /// for it, since it could only replace the first. A task recovered after a crash may have
    /// that result as its own, renamed into `done/` before its name was made durable: `done/` is
    /// synced before the task file goes (kept when that fails, for the next start).
    /// `slot`, the task's concurrency slot, is given back once a result is found: the task will
    /// not run, and the sync of `done/` below may hang with its file system. True too when the
    /// look was given up at the stop (or, recovered, the stop came while it was tried again):
    /// not run, the task stays claimed for the next start.
    private func resultIsWaiting(
        for task: DelegateTask, claimed: ClaimedTask, receivedAt: Date, slot: HeldSlot?, logger: Logger
    ) async -> Bool {
        let id = Self.resultID(for: task.id)
        if claimed.recovered {
            // Never rerun a task whose result may be waiting (its own, from before the restart):
            // one that cannot be looked at now is looked at again, as its kept result is; a stop
            // meanwhile leaves it claimed for the next start.
            guard
                case .success(let found)? = await untilRead(
                    "the result in done/ of", claimed,
                    { () throws(TaskQueueError) in
                        try spool.hasResult(id: id)
                    })
            else { return true }
            guard found else { return false }
        } else {
            do {
                guard
                    try await offPoolHoldingTheSlot(
                        claimed.name, { () throws(TaskQueueError) in try spool.hasResult(id: id) })
                else { return false }
            } catch  where error.code == .cancelled {
                return true  // the stop: not run, the task stays claimed for the next start
            } catch {
                // Rate-limited: with done/ unusable, every task a producer drops comes here. (Its
                // result, if one waits, is the first's: this one's, written later, is refused.)
                logLimiter.log(
                    .error, "the result file for \(claimed.name) cannot be checked: \(error)",
                    metadata: ["task_id": "\(id)"], key: "spool-result-uncheckable", logger: logger)
                return false
            }
        }
        slot?.release()
        guard await resultInDoneIsDurable(for: claimed, resultID: id) else { return true }
        discard(claimed, resultID: id)
        _ = dispatcher.rejected(
            TaskRejection(
                code: .duplicateTask,
                message: "an uncollected result for this task id is already in done/ (from an earlier task with "
                    + "the same id, or this task's own result from before a restart); it is kept, this task was "
                    + "not run and its file was deleted, and no result is written for it (it would replace the first)",
                task: task, taskID: id),
            receivedAt: receivedAt, logger: logger, logLimiter: logLimiter, intake: .spool)
        return true
    }
}
