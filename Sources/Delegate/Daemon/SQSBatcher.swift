import AWSCore
import Synchronization

/// Gathers the calls that many tasks make to one queue at about the same time (sending their
/// results, deleting their messages) into batch requests, each answered entry by entry.
///
/// No call waits for a batch to fill: while fewer than `maximumInFlight` batches are on their
/// way, a call is sent at once. Calls that come in while that many are on their way wait, and
/// the next batch takes them together: at most `maximumEntries` and `maximumBytes`, oldest first.
/// A batch is sent by the task whose entry is first in it; when its answer comes, that task
/// takes the next batch off the line and hands it to the task whose entry is first in that one.
/// So no task sends other tasks' batches after its own is answered (it would hold its
/// concurrency slot meanwhile), no background task is needed, and one slow call does not hold
/// up the queue's other calls while fewer than `maximumInFlight` are slow. At low load this
/// costs nothing; under load a queue sees one request per up to ten results. A waiting call
/// cannot leave the line (it is not cancellable): it waits for a batch on its way to come back,
/// at most the client's request timeout and retries.
final class SQSBatcher<Entry: Sendable>: Sendable {
    /// Sends one batch; returns one outcome per entry, in order (nil: done).
    typealias Send = @Sendable ([Entry]) async -> [AWSError?]

    let maximumEntries: Int
    /// Read as each batch is made up: a reload may change what the queues carry.
    private let maximumBytesNow: @Sendable () -> Int
    var maximumBytes: Int { maximumBytesNow() }
    let maximumInFlight: Int
    private let bytes: @Sendable (Entry) -> Int
    private let send: Send
    private let state = Mutex(State())

    private enum Wake {
        /// The entry's outcome, from the batch it went in.
        case done(AWSError?)
        /// The entry is first in this batch: its task sends it.
        case send([Waiting])
    }

    private struct Waiting: @unchecked Sendable {
        let entry: Entry
        let bytes: Int
        let continuation: CheckedContinuation<Wake, Never>
    }

    private struct State {
        /// Entries not yet in a batch, oldest first. Empty whenever fewer than
        /// `maximumInFlight` batches are on their way.
        var waiting: [Waiting] = []
        var inFlight = 0
        /// Entries left to send alone, without a batch call, after SQS refused the batch action.
        var aloneTurns = 0
    }

    init(
        maximumEntries: Int, maximumBytes: @autoclosure @escaping @Sendable () -> Int, maximumInFlight: Int = 2,
        bytes: @escaping @Sendable (Entry) -> Int, send: @escaping Send
    ) {
        self.maximumEntries = max(1, maximumEntries)
        self.maximumBytesNow = maximumBytes
        self.maximumInFlight = max(1, maximumInFlight)
        self.bytes = bytes
        self.send = send
    }

    /// Entries waiting for a batch (those of batches on their way not counted).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// No batch on its way and nothing waiting.
    var isIdle: Bool { state.withLock { $0.inFlight == 0 } }

    /// Notes that the batch action was refused: the next `turns` entries go alone.
    func noteRefusal(turns: Int) {
        state.withLock { $0.aloneTurns = turns }
    }

    /// Whether the next entry goes alone (a turn is used up when it does).
    func takeAloneTurn() -> Bool {
        state.withLock { state in
            guard state.aloneTurns > 0 else { return false }
            state.aloneTurns -= 1
            return true
        }
    }

    /// Sends `entry` in the next batch; returns its outcome (nil: done).
    func submit(_ entry: Entry) async -> AWSError? {
        let size = bytes(entry)
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let batch = state.withLock { state -> [Waiting]? in
                state.waiting.append(Waiting(entry: entry, bytes: size, continuation: continuation))
                guard state.inFlight < maximumInFlight else { return nil }
                // Below the limit nothing waits, so the batch is this entry alone, first.
                assert(state.waiting.count == 1)
                state.inFlight += 1
                return takeBatch(&state, maximumBytes: .max)
            }
            if let batch { continuation.resume(returning: .send(batch)) }
        }
        switch wake {
        case .done(let outcome): return outcome
        case .send(let batch): return await sendBatch(batch)
        }
    }

    /// Sends `batch` (this task's entry first), answers every other entry in it, and hands the
    /// next batch in line, if any, to the task whose entry is first in it.
    private func sendBatch(_ batch: [Waiting]) async -> AWSError? {
        let outcomes = await send(batch.map(\.entry))
        func outcome(_ index: Int) -> AWSError? { index < outcomes.count ? outcomes[index] : Self.unanswered }
        for index in batch.indices.dropFirst() {
            batch[index].continuation.resume(returning: .done(outcome(index)))
        }
        // Read before the lock: the limit comes from the settings, behind a lock of their own.
        let maximumBytes = self.maximumBytes
        let next = state.withLock { state -> [Waiting]? in
            guard !state.waiting.isEmpty else {
                state.inFlight -= 1
                return nil
            }
            return takeBatch(&state, maximumBytes: maximumBytes)
        }
        if let next, let first = next.first { first.continuation.resume(returning: .send(next)) }
        return outcome(0)
    }

    /// Takes the next batch off the line: at least one entry, then as many as fit in `maximumBytes`.
    private func takeBatch(_ state: inout State, maximumBytes: Int) -> [Waiting] {
        var count = 0
        var total = 0
        for waiting in state.waiting {
            guard count < maximumEntries, count == 0 || total + waiting.bytes <= maximumBytes else { break }
            count += 1
            total += waiting.bytes
        }
        defer { state.waiting.removeFirst(count) }
        return Array(state.waiting.prefix(count))
    }

    private static var unanswered: AWSError {
        AWSError(
            kind: .invalidResponse, code: .invalidResponse, message: "the batch gave no outcome for this entry",
            retryable: true)
    }
}
