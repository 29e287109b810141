import Logging
import TaskQueue

/// A result's writing that does not return: a file system that hangs (frozen, a hard mount whose
/// server is gone, a disk in long error recovery) blocks the write, with no error to log. Watched,
/// it is told in the journal and in the status once it has taken ``SpoolIntake/hangWarningAfter``.
extension SpoolIntake {
    /// Runs `write` (a result's writing, keeping or sync, for `claimed`); if it has not returned
    /// after ``hangWarningAfter``, logs a warning (rate-limited: every spool result hangs with its
    /// file system) and, when `counted`, counts it in ``unwritten`` until it returns: the status
    /// shows the spool paused, and no new spool task is claimed meanwhile. Its return is logged
    /// too.
    /// - Parameters:
    ///   - resultID: the task id the result is written under, for the lines' `task_id`.
    ///   - counted: false for a write whose result is counted already (one retried after a failure).
    func whileWatchingForAHang<Value>(
        _ claimed: ClaimedTask, resultID: String?, counted: Bool,
        _ write: () async throws(TaskQueueError) -> Value
    ) async throws(TaskQueueError) -> Value {
        let (unwritten, logLimiter, logger, after) = (unwritten, logLimiter, logger, hangWarningAfter)
        var metadata: Logger.Metadata = [:]
        if let resultID { metadata["task_id"] = "\(resultID)" }
        let watch = Task { [metadata] () -> Bool in
            do { try await Task.sleep(for: after) } catch { return false }
            if counted { unwritten.enter() }
            logLimiter.log(
                .warning,
                """
                writing the result for \(claimed.name) has not returned after \(after.components.seconds) s \
                (a file system that hangs: frozen, a hard mount whose server is gone?); \
                no new spool task is claimed until it does
                """,
                metadata: metadata, key: "spool-result-hung", logger: logger)
            return true
        }
        let outcome: Result<Value, TaskQueueError>
        do throws(TaskQueueError) {
            outcome = .success(try await write())
        } catch {
            outcome = .failure(error)
        }
        watch.cancel()
        if await watch.value {
            if counted { unwritten.leave() }
            logLimiter.log(
                .notice, "writing the result for \(claimed.name) returned, after hanging",
                metadata: metadata, key: "spool-result-hang-ended", logger: logger)
        }
        return try outcome.get()
    }
}
