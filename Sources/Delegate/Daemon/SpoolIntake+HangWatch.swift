import Logging
import TaskQueue

/// A result's writing that does not return: a file system that hangs (frozen, a hard mount whose
/// server is gone, a disk in long error recovery) blocks the write, with no error to log.
/// Watched (``ResultWriteWatch``), it is told in the journal and in the status once it has taken
/// ``SpoolIntake/hangWarningAfter``.
extension SpoolIntake {
    /// Runs `write` (`what`: a result's writing, keeping, or `done/`'s sync, for `claimed`),
    /// noted in ``writeWatch`` while it runs: one that has not returned after
    /// ``hangWarningAfter`` is told by ``watchResultWrites()``, and its return here.
    /// - Parameters:
    ///   - resultID: the task id the result is written under, for the lines' `task_id`.
    ///   - counted: false for a write whose result is counted in ``unwritten`` already (one
    ///     retried after a failure).
    func whileWatchingForAHang<Value>(
        _ what: String, resultID: String?, counted: Bool, _ write: () async throws(TaskQueueError) -> Value
    ) async throws(TaskQueueError) -> Value {
        let ticket = writeWatch.begin(what, resultID: resultID, counted: counted, now: .now)
        defer {
            if let hung = writeWatch.end(ticket, unwritten: unwritten) {
                logLimiter.log(
                    .notice, "\(hung.what) returned, after hanging", metadata: Self.metadata(of: hung),
                    key: "spool-result-hang-ended", logger: logger)
            }
        }
        return try await write()
    }

    /// Looks over the writes in progress every quarter of ``hangWarningAfter`` until cancelled
    /// (the stop): one that has taken that long is logged (a warning, rate-limited: every spool
    /// write hangs with its file system) and, unless its result is counted already, counted in
    /// ``unwritten`` until it returns: the status shows the spool paused, and no new spool task
    /// is claimed meanwhile.
    func watchResultWrites() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: hangWarningAfter / 4)
            guard !Task.isCancelled else { return }
            for hung in writeWatch.tellHung(after: hangWarningAfter, now: .now, unwritten: unwritten) {
                logLimiter.log(
                    .warning,
                    """
                    \(hung.what) has not returned after \(hangWarningAfter.components.seconds) s \
                    (a file system that hangs: frozen, a hard mount whose server is gone?); \
                    no new spool task is claimed until it does
                    """,
                    metadata: Self.metadata(of: hung), key: "spool-result-hung", logger: logger)
            }
        }
    }

    private static func metadata(of write: ResultWriteWatch.Write) -> Logger.Metadata {
        write.resultID.map { ["task_id": "\($0)"] } ?? [:]
    }
}
