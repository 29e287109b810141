import AWSCore
import Synchronization

/// Gathers the calls that many tasks make to one queue at about the same time (sending their
/// results, deleting their messages) into batch requests, each answered entry by entry.
///
/// No call waits for a batch to fill: with no batch in flight, a call is sent at once (alone if
/// nothing else is waiting). While one batch is in flight the calls that come in wait, and the
/// next batch takes them together: at most `maximumEntries` and `maximumBytes`, oldest first.
/// The task whose entry is first in a batch sends it and hands the sending on to the first
/// entry left waiting, so no task ever sends other tasks' batches after its own is answered
/// (it would hold its concurrency slot meanwhile), and no background task is needed. At low
/// load this costs nothing; under load a queue sees one request per up to ten results.
final class SQSBatcher<Entry: Sendable>: Sendable {
    /// Sends one batch; returns one outcome per entry, in order (nil: done).
    typealias Send = @Sendable ([Entry]) async -> [AWSError?]

    let maximumEntries: Int
    let maximumBytes: Int
    private let bytes: @Sendable (Entry) -> Int
    private let send: Send
    private let state = Mutex(State())

    private enum Wake {
        /// The entry's outcome, from the batch it went in.
        case done(AWSError?)
        /// The entry is first in line: its task sends the next batch.
        case send
    }

    private struct Waiting {
        let id: Int
        let entry: Entry
        let bytes: Int
        let continuation: CheckedContinuation<Wake, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        /// Whether some task is sending (or about to send) a batch.
        var sending = false
        var nextID = 0
        /// Batches sent so far.
        var batches = 0
    }

    init(maximumEntries: Int, maximumBytes: Int, bytes: @escaping @Sendable (Entry) -> Int, send: @escaping Send) {
        self.maximumEntries = max(1, maximumEntries)
        self.maximumBytes = maximumBytes
        self.bytes = bytes
        self.send = send
    }

    /// Batch requests sent so far.
    var batchesSent: Int { state.withLock { $0.batches } }

    /// Entries waiting for a batch (those of the batch on its way not counted).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Sends `entry` in the next batch; returns its outcome (nil: done).
    func submit(_ entry: Entry) async -> AWSError? {
        let size = bytes(entry)
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let first = state.withLock { state in
                state.waiting.append(Waiting(id: id, entry: entry, bytes: size, continuation: continuation))
                guard !state.sending else { return false }
                state.sending = true
                return true
            }
            if first { continuation.resume(returning: .send) }
        }
        switch wake {
        case .done(let outcome): return outcome
        case .send: return await sendBatch(leading: id)
        }
    }

    /// Sends the batch that starts with entry `id` (first in line), answers every other entry in
    /// it, and wakes the next entry in line to send the following batch.
    private func sendBatch(leading id: Int) async -> AWSError? {
        let batch = state.withLock { state -> [Waiting] in
            var count = 0
            var total = 0
            for waiting in state.waiting {
                guard count < maximumEntries, count == 0 || total + waiting.bytes <= maximumBytes else { break }
                count += 1
                total += waiting.bytes
            }
            state.batches += 1
            defer { state.waiting.removeFirst(count) }
            return Array(state.waiting.prefix(count))
        }
        let outcomes = await send(batch.map(\.entry))
        var own: AWSError?
        for (index, waiting) in batch.enumerated() {
            let outcome = index < outcomes.count ? outcomes[index] : Self.unanswered
            if waiting.id == id {
                own = outcome
            } else {
                waiting.continuation.resume(returning: .done(outcome))
            }
        }
        let next = state.withLock { state -> CheckedContinuation<Wake, Never>? in
            guard let first = state.waiting.first else {
                state.sending = false
                return nil
            }
            return first.continuation
        }
        next?.resume(returning: .send)
        return own
    }

    private static var unanswered: AWSError {
        AWSError(kind: .invalidResponse, code: .invalidResponse, message: "the batch gave no outcome for this entry")
    }
}
