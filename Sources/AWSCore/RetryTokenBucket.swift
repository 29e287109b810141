import Synchronization

/// The standard retry mode's retry budget, shared by every call through one client.
///
/// A retry costs 5 tokens (10 after a timeout); a call that succeeds on its first attempt puts one
/// token back, one that succeeds after retrying returns what its last retry took (as the SDKs'
/// standard mode does). When the bucket is empty, failures are returned at once instead of
/// retried, so an outage does not multiply load.
public final class RetryTokenBucket: Sendable {
    public static let defaultCapacity = 500
    public static let retryCost = 5
    public static let timeoutRetryCost = 10
    public static let noRetryIncrement = 1

    private let capacity: Int
    private let tokens: Mutex<Int>

    public init(capacity: Int = RetryTokenBucket.defaultCapacity) {
        self.capacity = capacity
        self.tokens = Mutex(capacity)
    }

    /// The tokens left (for tests).
    public var available: Int {
        tokens.withLock { $0 }
    }

    /// Takes the cost of one retry and returns it; nil when the budget cannot pay for it.
    public func acquire(for failure: RetryPolicy.FailureClass) -> Int? {
        let cost = failure == .timeout ? Self.timeoutRetryCost : Self.retryCost
        return tokens.withLock { value in
            guard value >= cost else { return nil }
            value -= cost
            return cost
        }
    }

    /// Gives tokens back after a success: the last retry's cost, or the no-retry increment.
    public func release(_ amount: Int) {
        tokens.withLock { value in
            value = min(capacity, value + amount)
        }
    }
}
