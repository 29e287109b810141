import Synchronization

/// A monotonic clock the test moves by hand, for code that takes `now: () -> ContinuousClock.Instant`
/// (``ManualClock`` is the wall clock's).
public final class ManualMonotonicClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    public init() {}

    public var now: ContinuousClock.Instant { instant.withLock { $0 } }

    public func advance(by duration: Duration) {
        instant.withLock { $0 = $0 + duration }
    }
}
