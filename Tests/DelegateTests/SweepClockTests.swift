import Foundation
import Testing

@testable import Delegate

/// The result sweep's clock: a forward step of the wall clock is no age for the results.
@Suite struct SweepClockTests {
    /// The wall clock set two hours forward between two readings a minute apart: the sweep's
    /// now moves by the minute only, so a result written just before the step is not taken for
    /// two hours old (a retention of an hour would have deleted it).
    @Test func aForwardStepIsTakenOut() {
        var clock = SweepClock()
        let start = ContinuousClock.now
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(clock.now(wall: wall, elapsed: start) == wall)
        let stepped = clock.now(wall: wall.addingTimeInterval(7_260), elapsed: start + .seconds(60))
        #expect(stepped == wall.addingTimeInterval(60))
        #expect(clock.forwardSteps == 7_200)
        // It stays out: later readings move with the elapsed time.
        let later = clock.now(wall: wall.addingTimeInterval(7_320), elapsed: start + .seconds(120))
        #expect(later == wall.addingTimeInterval(120))
    }

    /// Time passing as it should, with the sweep's own lateness (a few seconds), is no step; a
    /// step backwards is left as it is (results look younger, kept longer).
    @Test func ordinaryTimeAndBackwardStepsAreLeftAsTheyAre() {
        var clock = SweepClock()
        let start = ContinuousClock.now
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        _ = clock.now(wall: wall, elapsed: start)
        #expect(clock.now(wall: wall.addingTimeInterval(64), elapsed: start + .seconds(60)) == wall.addingTimeInterval(64))
        #expect(clock.now(wall: wall.addingTimeInterval(-3_000), elapsed: start + .seconds(120)) == wall.addingTimeInterval(-3_000))
        #expect(clock.forwardSteps == 0)
    }
}
