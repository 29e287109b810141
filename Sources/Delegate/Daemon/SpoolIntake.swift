import Foundation
import Logging
import TaskQueue

/// Takes tasks from the spool directory: notices them (inotify plus rescans), leaves tasks meant
/// for other delegates untouched in `new/`, claims the rest by `rename(2)`, runs them and writes
/// their results atomically before deleting the task file.
struct SpoolIntake: Sendable {
    let spool: Spool
    let dispatcher: TaskDispatcher
    let logger: Logger

    /// Runs until the watcher is stopped, then lets the tasks it started finish.
    func run(watcher: SpoolWatcher) async {
        await withDiscardingTaskGroup { group in
            // Tasks a previous run of this delegate claimed but never finished (it died).
            // (`recoverClaimed` logs how many it found.)
            let recovered: [ClaimedTask]
            do {
                recovered = try spool.recoverClaimed()
            } catch {
                logger.error("tasks claimed before a restart cannot be listed, so they are not rerun: \(error)")
                recovered = []
            }
            for claimed in recovered {
                await dispatcher.limiter.acquire()
                group.addTask {
                    await runClaimed(claimed, receivedAt: dispatcher.now)
                    await dispatcher.limiter.release()
                }
            }
            for await name in watcher {
                if dispatcher.isStopping { break }
                // A slot first, then the file: a busy delegate leaves tasks to the others
                // instead of hoarding claims it cannot run yet.
                await dispatcher.limiter.acquire()
                if dispatcher.isStopping {
                    await dispatcher.limiter.release()
                    watcher.release(name)
                    break
                }
                group.addTask {
                    await consider(name, watcher: watcher)
                    await dispatcher.limiter.release()
                }
            }
        }
    }

    /// Looks at one file in `new/`: leave it, reject it, or claim and run it.
    private func consider(_ name: String, watcher: SpoolWatcher) async {
        defer { watcher.release(name) }
        let receivedAt = dispatcher.now
        let file: SpoolTaskFile
        do {
            guard let read = try spool.read(name) else { return }  // another delegate took it
            file = read
        } catch {
            logger.error("spool task \(name) cannot be read: \(error)")
            return
        }
        if case .data(let data) = file.contents, let envelope = TaskEnvelope.peek(data),
            // A named connector's selectors are the host's; an id unknown here (nil) is claimed
            // and rejected as the contract says, whatever the tags.
            let selectors = envelope.connectorName.map(dispatcher.connectors.selectors(of:))
                ?? envelope.delegateSelectors
        {
            let decision = dispatcher.matches(selectors)
            guard decision.isAccepted else {
                watcher.markSkipped(name, fingerprint: file.fingerprint)
                logger.debug(
                    "spool task left for another delegate", metadata: ["task_id": "\(envelope.id ?? file.defaultID)"])
                return
            }
        }
        let claimed: ClaimedTask
        do {
            guard let won = try spool.claim(name) else { return }
            claimed = won
        } catch {
            logger.error("spool task \(name) cannot be claimed: \(error)")
            return
        }
        await runClaimed(claimed, receivedAt: receivedAt)
    }

    /// Runs a claimed task (read again after the claim: the claimed file is what runs) and files
    /// its result.
    private func runClaimed(_ claimed: ClaimedTask, receivedAt: Date) async {
        let resultID = Self.resultID(for: claimed.defaultID)
        let result: TaskResult
        switch Result(catching: { () throws(TaskQueueError) in try spool.read(claimed) }) {
        case .failure(let error):
            logger.error("claimed task \(claimed.name) cannot be read: \(error)")
            return
        case .success(nil):
            return
        case .success(let file?):
            switch file.contents {
            case .oversize(let bytes):
                result = dispatcher.rejected(
                    TaskRejection(
                        code: .invalidTask,
                        message: "the task file is \(bytes) bytes; at most \(DelegateTask.maximumSize) are allowed",
                        taskID: resultID),
                    receivedAt: receivedAt, logger: logger)
            case .notRegularFile:
                result = dispatcher.rejected(
                    TaskRejection(code: .invalidTask, message: "the task file is not a regular file", taskID: resultID),
                    receivedAt: receivedAt, logger: logger)
            case .data(let data):
                var logger = logger
                logger[metadataKey: "peer_uid"] = "\(file.ownerUID)"
                let connectors = dispatcher.connectors
                switch Result(catching: { () throws(TaskRejection) in
                    try connectors.admit(data, defaultID: claimed.defaultID, by: .spoolFile(ownerUID: file.ownerUID))
                }) {
                case .failure(let rejection):
                    result = dispatcher.rejected(rejection, receivedAt: receivedAt, logger: logger)
                case .success(let task):
                    logger.info(
                        "task claimed",
                        metadata: [
                            "event": "task-claimed", "task_id": "\(task.id)", "connector_id": "\(task.connector.id)",
                            "operation": "\(task.operation.name.rawValue)",
                        ])
                    result = await dispatcher.executeHoldingSlot(task, receivedAt: receivedAt, logger: logger)
                }
            }
        }
        dispatcher.connectors.count(connectorID: result.connectorId)
        if Task.isCancelled, result.error?.code == TaskFailure.Code.delegateStopping.rawValue {
            // Cut off by a stop after the grace period: it stays claimed and runs again at the
            // next start (its idempotency token makes a repeated write harmless).
            return
        }
        do {
            try spool.complete(
                claimed, resultID: Self.resultID(for: result.id ?? resultID),
                result: Data((result.jsonLine + "\n").utf8))
        } catch {
            logger.error(
                "result for \(claimed.name) cannot be written: \(error); the task stays claimed and reruns at the next start"
            )
        }
    }

    /// Result files are named by task id; a name that is no valid id is made into one.
    static func resultID(for id: String) -> String {
        if DelegateTask.isValidID(id) { return id }
        let cleaned = String(
            id.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": Character(scalar)
                default: "_"
                }
            }.prefix(128))
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "invalid-task" : cleaned
    }
}
