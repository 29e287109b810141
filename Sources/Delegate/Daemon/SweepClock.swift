import FoundationEssentials

/// The wall clock as the result sweep reads it, with the forward steps the wall clock took while
/// the daemon ran taken out: a host that started with its clock behind (no RTC, a clock restored
/// from its last save) and then had it set forward by NTP would otherwise see every result
/// written before the step as that much older, and delete results nobody had time to collect.
///
/// A step is the wall clock moving more than the elapsed time (``ContinuousClock``, which counts
/// a suspend as the wall clock does) between two readings, by more than ``tolerance`` either way.
/// What is taken out (``offset``) is the forward steps less the backward ones, never below zero:
/// a step back gives back an earlier step forward (a clock set back, then right again, ends where
/// it began), and a step back beyond that only makes results look younger, kept longer, until the
/// step forward that undoes it, which is then taken out in turn, since results written meanwhile
/// carry times from behind. So no result looks older than it is, and what it is kept beyond its
/// retention is bounded by the largest step back, however often the clock goes back and forth.
struct SweepClock {
    private var last: (wall: Date, elapsed: ContinuousClock.Instant)?
    /// Seconds taken out of the wall clock's reading.
    private(set) var offset: TimeInterval = 0

    /// More than the sweep's own scheduling can put between the two clocks.
    static let tolerance: TimeInterval = 5

    /// `wall` with ``offset`` as of this reading taken out, and the step seen since the last
    /// reading (0 if none).
    mutating func now(wall: Date, elapsed: ContinuousClock.Instant) -> (now: Date, step: TimeInterval) {
        var step: TimeInterval = 0
        if let last {
            let moved = wall.timeIntervalSince(last.wall) - (elapsed - last.elapsed) / .seconds(1)
            if abs(moved) > Self.tolerance {
                step = moved
                offset = max(0, offset + moved)
            }
        }
        last = (wall, elapsed)
        return (wall.addingTimeInterval(-offset), step)
    }
}
