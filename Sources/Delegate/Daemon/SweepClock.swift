import Foundation

/// The wall clock as the result sweep reads it, with the forward steps the wall clock took while
/// the daemon ran taken out: a host that started with its clock behind (no RTC, a clock restored
/// from its last save) and then had it set forward by NTP would otherwise see every result
/// written before the step as that much older, and delete results nobody had time to collect.
/// A step is the wall clock advancing more than the elapsed time (``ContinuousClock``, which
/// counts a suspend as the wall clock does) between two readings, by more than ``tolerance``. A
/// step backwards only makes results look younger (kept longer), so it is left as it is. The
/// steps add up: results written after one are kept that much longer, never deleted early.
struct SweepClock {
    private var last: (wall: Date, elapsed: ContinuousClock.Instant)?
    /// Seconds of forward steps seen so far.
    private(set) var forwardSteps: TimeInterval = 0

    /// More than the sweep's own scheduling can put between the two clocks.
    static let tolerance: TimeInterval = 5

    /// `wall` with the forward steps seen up to this reading taken out.
    mutating func now(wall: Date, elapsed: ContinuousClock.Instant) -> Date {
        if let last {
            let step = wall.timeIntervalSince(last.wall) - (elapsed - last.elapsed) / .seconds(1)
            if step > Self.tolerance { forwardSteps += step }
        }
        last = (wall, elapsed)
        return wall.addingTimeInterval(-forwardSteps)
    }
}
