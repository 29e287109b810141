import FoundationEssentials
import JSON

/// A task's bytes with their one parse. The spool and the SQS queue peek at a task before they
/// claim it (``envelope``) and then decode it; both read this parse, so a task is parsed once (a
/// second parse was about a thirtieth of the spool's instructions per task).
public struct TaskDocument: Sendable {
    public let data: Data
    /// The parse of `data`; nil when `data` is over ``DelegateTask/maximumSize`` or is no JSON
    /// (the decoder then says which).
    let parsed: JSONParser.Parsed?

    public init(_ data: Data) {
        self.data = data
        parsed =
            data.count <= DelegateTask.maximumSize
            ? data.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) } : nil
    }

    /// The task's id and selectors, read without validating the rest
    /// (``TaskEnvelope/init(peeking:)``); nil for a task too large or no JSON.
    public var envelope: TaskEnvelope? {
        parsed.flatMap(TaskEnvelope.init(peeking:))
    }

    /// The envelope the spool selects by before it claims a task: nil too for a task that gives a
    /// key twice, which every delegate rejects (its selectors may be the value no one meant), so
    /// that whichever delegate sees it first takes it up and answers it in the shared `done/`.
    /// (SQS selects by ``envelope``: such a task is answered by its own pool, on its result queue.)
    public var envelopeForSelection: TaskEnvelope? {
        parsed?.hasDuplicateKeys == true ? nil : envelope
    }
}
