import AWSCore
import struct FoundationEssentials.Date

/// A clock for how long something was kept, which steps of the wall clock do not move: the
/// continuous clock's time (since boot, suspension included) read as a date. Only differences
/// between its readings mean anything; they are never shown, nor compared with the wall clock.
/// The read cache's TTL and stale window run on it (an NTP step back must not keep a rotated
/// value fresh past its TTL).
struct ElapsedTimeClock: WallClock {
    private let origin = ContinuousClock.now

    func now() -> Date {
        let elapsed = (ContinuousClock.now - origin).components
        return Date(timeIntervalSinceReferenceDate: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
    }
}
