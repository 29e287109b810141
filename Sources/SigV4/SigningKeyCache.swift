import Synchronization

/// Remembers derived signing keys so that a signature costs one HMAC instead of five.
///
/// A key depends on (secret key, scope date, region, service), so for one set of credentials
/// it changes once a day. Share one cache between signers (it is thread-safe); it holds at
/// most `capacity` keys and forgets the oldest first, and drops a key when one two days newer is
/// derived (no signature uses it again; a clock corrected for skew may still sign for yesterday),
/// or at ``removeAll()`` (the delegate's reload). It never prints them.
///
/// The keys are few (16 by default), so a lookup scans them, most recently stored first, and
/// compares the day before the strings: cheaper than hashing a 40-character secret per request.
public final class SigningKeyCache: Sendable {
    struct Key: Equatable {
        var secretAccessKey: String
        /// Days since 1970-01-01 UTC.
        var day: Int
        var region: String
        var service: String
    }

    private struct State {
        /// Oldest first: eviction removes the first.
        var entries: [(key: Key, value: SigningKey)] = []
        var hits = 0
        var misses = 0

        func find(_ key: Key) -> SigningKey? {
            for entry in entries.reversed()
            where entry.key.day == key.day && entry.key == key {
                return entry.value
            }
            return nil
        }
    }

    /// The most keys held at once.
    public let capacity: Int
    private let state: Mutex<State>

    /// - Parameter capacity: at least 1; the default fits a few credential sets across a day change.
    public init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
    }

    /// How many keys are held.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Lookups answered from the cache since creation.
    public var hits: Int { state.withLock { $0.hits } }

    /// Lookups that had to derive a key since creation.
    public var misses: Int { state.withLock { $0.misses } }

    /// Forgets every key (a reload: a secret key replaced in a credential file, or revoked, is
    /// not kept in memory for days).
    public func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    /// The cached key for `key`, deriving and storing it on a miss. Derivation runs outside
    /// the lock; if two threads miss at once, the first stored key wins.
    func signingKey(for key: Key, derive: () throws(SigV4Error) -> SigningKey) throws(SigV4Error) -> SigningKey {
        let cached: SigningKey? = state.withLock { state in
            if let found = state.find(key) {
                state.hits += 1
                return found
            }
            state.misses += 1
            return nil
        }
        if let cached { return cached }
        let derived = try derive()
        return state.withLock { state in
            if let raced = state.find(key) { return raced }
            state.entries.removeAll { $0.key.day < key.day - 1 }
            if state.entries.count >= capacity { state.entries.removeFirst(state.entries.count - capacity + 1) }
            state.entries.append((key: key, value: derived))
            return derived
        }
    }
}
