import FoundationEssentials
import TaskQueue

/// The first looks at a task just claimed, made on the spool's thread that read and claimed it
/// (one trip there instead of four): a result kept beside the claim from before a restart, and, when
/// none, the claimed file (read again only if it is not the very file peeked at in `new/`).
/// ``SpoolIntake/runClaimed(_:peeked:document:peekedUnder:looks:receivedAt:slot:)`` takes them
/// as its first attempts; a failure is tried again from there, as every look is.
struct ClaimedLooks: Sendable {
    let kept: Result<(resultID: String, result: Data)?, TaskQueueError>
    /// Nil when there is a kept result, or it could not be looked at.
    let read: Result<SpoolTaskFile?, TaskQueueError>?

    init(_ claimed: ClaimedTask, peeked: SpoolTaskFile?, in spool: Spool) {
        kept = Result { () throws(TaskQueueError) in try spool.pendingResult(for: claimed) }
        if case .success(nil) = kept {
            read = Result { () throws(TaskQueueError) in try spool.read(claimed, peeked: peeked) }
        } else {
            read = nil
        }
    }
}
