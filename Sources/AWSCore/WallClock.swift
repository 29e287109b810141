import struct FoundationEssentials.Date

/// The wall clock, injected so that signing dates, expiry checks and result timestamps can be
/// controlled in tests. Code never reads `Date()` deep inside; it asks the clock it was given.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func now() -> Date {
        Date()
    }
}
