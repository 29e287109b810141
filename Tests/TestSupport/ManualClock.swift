import AWSCore
import Foundation
import Synchronization

/// A wall clock the test moves by hand.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    /// Starts at a whole second, so times survive a round trip through ISO 8601 text.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_900_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
