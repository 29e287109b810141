import FoundationEssentials
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
/// Bounded: an entry is kept for ``keptFor(visibilitySeconds:)`` after its result was sent (the
/// message can only come back once its lease ends), and at most ``capacity`` entries, the oldest
/// dropped first.
final class AnsweredMessages: Sendable {
    struct Key: Hashable, Sendable {
        var queueURL: String
        var messageID: String
    }

    /// At most this many messages are remembered (about 1.5 MB at a full memory).
    static let capacity = 10_000

    /// How long a message is remembered: its lease can run out at most `visibility_seconds` after
    /// the result was sent (the last extension), once more for a delegate that received it then
    /// and put it back, and a minute for the calls in between.
    static func keptFor(visibilitySeconds: Int) -> Duration { .seconds(visibilitySeconds * 2 + 60) }

    private struct State {
        var keys = Set<Key>()
        /// Oldest first, with the time each entry may be forgotten.
        var order: [(key: Key, until: ContinuousClock.Instant)] = []
        /// The first live entry of `order` (the part before it is compacted away now and then).
        var start = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = AnsweredMessages.capacity) {
        self.capacity = capacity
    }

    /// Remembers that `key`'s result was sent at `now`, until `now + keptFor`.
    func insert(_ key: Key, now: ContinuousClock.Instant, keptFor: Duration) {
        state.withLock { state in
            Self.forget(in: &state, before: now, keeping: capacity - 1)
            guard state.keys.insert(key).inserted else { return }
            state.order.append((key, now + keptFor))
        }
    }

    /// Whether `key`'s result was sent and is still remembered at `now`.
    func contains(_ key: Key, now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            Self.forget(in: &state, before: now, keeping: capacity)
            return state.keys.contains(key)
        }
    }

    /// How many messages are remembered at `now`.
    func count(now: ContinuousClock.Instant) -> Int {
        state.withLock { state in
            Self.forget(in: &state, before: now, keeping: capacity)
            return state.keys.count
        }
    }

    /// Drops the entries due by `now`, then the oldest beyond `limit`; gives the memory back once
    /// all are gone (an idle delegate keeps none).
    private static func forget(in state: inout State, before now: ContinuousClock.Instant, keeping limit: Int) {
        while state.start < state.order.count,
            state.order[state.start].until <= now || state.keys.count > limit
        {
            state.keys.remove(state.order[state.start].key)
            state.start += 1
        }
        if state.keys.isEmpty {
            state = State()
        } else if state.start >= 1_024, state.start * 2 >= state.order.count {
            state.order.removeFirst(state.start)
            state.start = 0
        }
    }
}
