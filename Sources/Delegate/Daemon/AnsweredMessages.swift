import DequeModule
import SQS
import Synchronization

/// The SQS task messages this delegate has sent a result (or rejection) for, remembered for a
/// while by queue and message id, so that one coming back is deleted instead of run again.
///
/// A message comes back after its lease when its delete did not take effect: the call failed,
/// or it went with a receipt handle SQS no longer honours because the message was received again
/// meanwhile (moto's non-atomic receive; on SQS a delete with an old handle "succeeds" without
/// deleting). Its message id stays the same across receives, and the same id always carries the
/// same body, so remembering it can only skip a run whose result was already sent.
///
/// Bounded: an entry is kept for ``keptFor(visibilitySeconds:)`` from the last time it was
/// remembered (when the result was sent, when its delete returned, and whenever the message came
/// back), and at most ``capacity`` entries, the least recently remembered dropped first; the
/// record of renewals is kept within four times that.
final class AnsweredMessages: Sendable {
    /// A message of a queue: one whatever spelling of the queue's URL it was received through
    /// (a reload may list the queue spelt another way while the old spelling's loop finishes).
    struct Key: Hashable, Sendable {
        /// As received through: where calls about the message go.
        let queueURL: String
        let messageID: String
        /// ``SQSQueueURL/identity(throughOneEndpoint:)`` (Amazon SQS's hosts of a region are one
        /// place; not every host through an `endpoint` override, which a reload may change), or
        /// the text of a URL that is none.
        private let queue: String

        /// A message of `queue`, as parsed already (the poller's).
        init(queue: SQSQueueURL, messageID: String) {
            queueURL = queue.url
            self.messageID = messageID
            self.queue = queue.identity()
        }

        /// A message of the queue at `queueURL` (parsed here).
        init(queueURL: String, messageID: String) {
            self.queueURL = queueURL
            self.messageID = messageID
            queue = (try? SQSQueueURL(queueURL))?.identity() ?? queueURL
        }

        static func == (first: Key, second: Key) -> Bool {
            first.messageID == second.messageID && first.queue == second.queue
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(messageID)
            hasher.combine(queue)
        }
    }

    /// At most this many messages are remembered (about 2 MB at a full memory).
    static let capacity = 10_000

    /// The longest message id remembered, in bytes. SQS's are UUIDs (36); an endpoint could send
    /// any text up to its answer's size, and 10,000 of those would hold gigabytes. A message
    /// with a longer id is not remembered (one that comes back runs again, as with no memory).
    static let maximumMessageIDBytes = 128

    /// How long a message is remembered after its delete returned (or it came back): its lease
    /// runs out at most `visibility_seconds` after that (the last extension), once more for a
    /// delegate that received it then and put it back, and a minute for the calls in between.
    static func keptFor(visibilitySeconds: Int) -> Duration { .seconds(visibilitySeconds * 2 + 60) }

    private struct State {
        /// Each remembered message with the time it may be forgotten.
        var until: [Key: ContinuousClock.Instant] = [:]
        /// Every time a message was remembered, oldest first; an entry whose time is no longer
        /// the message's in `until` was renewed since, and is skipped.
        var order: Deque<(key: Key, until: ContinuousClock.Instant)> = []
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = AnsweredMessages.capacity) {
        precondition(capacity >= 1, "AnsweredMessages needs room for one message")
        self.capacity = capacity
    }

    /// Remembers `key` until `now + keptFor` (or renews it until then).
    ///
    /// - Returns: how many messages whose time was not up were forgotten to make room (more
    ///   answered within their time than ``capacity``): one of them whose delete did not take
    ///   would run again when it comes back. The caller warns.
    @discardableResult
    func remember(_ key: Key, now: ContinuousClock.Instant, keptFor: Duration) -> Int {
        guard key.messageID.utf8.count <= Self.maximumMessageIDBytes else { return 0 }
        return state.withLock { state in
            let renewing = state.until[key] != nil
            let early = Self.forget(in: &state, now: now, keeping: renewing ? capacity : capacity - 1)
            let until = now + keptFor
            state.until[key] = until
            state.order.append((key, until))
            return early
        }
    }

    /// Whether `key` is remembered at `now`, and if so renews it until `now + keptFor` (one lock:
    /// the check and the renewal cannot be told apart by another caller).
    func renewIfRemembered(_ key: Key, now: ContinuousClock.Instant, keptFor: Duration) -> Bool {
        state.withLock { state in
            guard let until = state.until[key], until > now else { return false }
            let renewed = now + keptFor
            state.until[key] = renewed
            state.order.append((key, renewed))
            // Messages that keep coming back (their deletes do not take) renew with no result
            // sent and maybe no empty receive, the two other times memory is given back.
            Self.forget(in: &state, now: now, keeping: capacity)
            Self.compact(&state, beyond: 4 * capacity)
            return true
        }
    }

    /// Entries in `order`, renewed ones included (for tests).
    var orderCount: Int { state.withLock { $0.order.count } }

    /// Forgets the messages whose time is up by `now` (the poll loop calls it after an empty
    /// receive, so an idle delegate gives the memory back).
    func forgetDue(now: ContinuousClock.Instant) {
        state.withLock { Self.forget(in: &$0, now: now, keeping: capacity) }
    }

    /// Whether `key` is remembered at `now`. The receive loop uses
    /// ``renewIfRemembered(_:now:keptFor:)``; a lease extension that failed asks this (was the
    /// message answered, and so being deleted?).
    func contains(_ key: Key, now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            guard let until = state.until[key] else { return false }
            return until > now
        }
    }

    /// How many messages are remembered at `now` (for tests and diagnostics).
    func count(now: ContinuousClock.Instant) -> Int {
        state.withLock { state in
            Self.forget(in: &state, now: now, keeping: capacity)
            return state.until.count
        }
    }

    /// Drops the messages whose time is up by `now`, then the least recently remembered beyond
    /// `limit`; gives the memory back once none is left.
    ///
    /// `order` is sorted by time as long as `keptFor` stays the same; after a reload changed it,
    /// an entry may outlive its time here until the ones before it are due, which `contains`
    /// does not see (it compares the time itself).
    ///
    /// - Returns: how many messages whose time was not up were dropped.
    @discardableResult
    private static func forget(in state: inout State, now: ContinuousClock.Instant, keeping limit: Int) -> Int {
        var early = 0
        while let (key, until) = state.order.first {
            let current = state.until[key] == until
            guard !current || until <= now || state.until.count > limit else { break }
            if current {
                state.until[key] = nil
                if until > now { early += 1 }
            }
            state.order.removeFirst()
        }
        if state.until.isEmpty { state = State() }
        return early
    }

    /// Rebuilds `order` from the messages remembered, once it holds more than `limit` entries:
    /// renewals behind a message not yet due pile up there, since ``forget(in:now:keeping:)``
    /// stops at the first entry still current.
    private static func compact(_ state: inout State, beyond limit: Int) {
        guard state.order.count > limit else { return }
        state.order = Deque(state.until.map { (key: $0.key, until: $0.value) }.sorted { $0.until < $1.until })
    }
}
