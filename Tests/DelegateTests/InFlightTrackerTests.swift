import Testing

@testable import Delegate

@Suite struct InFlightTrackerTests {
    @Test func aTaskPastItsDeadlineAndTheAllowanceCountsAsAStall() async {
        let tracker = InFlightTracker()
        let start = ContinuousClock.now
        #expect(tracker.isStalled(now: start + .seconds(3600)) == false)  // nothing running
        let quick = tracker.enter(deadline: .seconds(5), now: start)
        let slow = tracker.enter(deadline: .seconds(60), now: start)
        let justInside = start + .seconds(5) + InFlightTracker.overrunAllowance - .milliseconds(1)
        #expect(tracker.isStalled(now: justInside) == false)
        #expect(tracker.isStalled(now: start + .seconds(5) + InFlightTracker.overrunAllowance + .seconds(1)))
        tracker.leave(quick)
        #expect(tracker.isStalled(now: start + .seconds(40)) == false)
        #expect(tracker.isStalled(now: start + .seconds(91)))
        tracker.leave(slow)
        #expect(tracker.isStalled(now: start + .seconds(3600)) == false)
        #expect(tracker.current == 0)
    }

    /// A zero timeout with a task running answers "not idle", every time, and returns: the stop
    /// asks this when the grace period ran out. (The race it guards against, the timeout winning
    /// before the idle waiter is registered, depends on scheduling; this repeats the call rather
    /// than forcing that order.)
    @Test func aZeroTimeoutNeverWaitsForTheTasks() async {
        let tracker = InFlightTracker()
        let running = tracker.enter(deadline: .seconds(3600))
        for _ in 0..<200 {
            #expect(await tracker.waitUntilIdle(timeout: .zero) == false)
        }
        tracker.leave(running)
        #expect(await tracker.waitUntilIdle(timeout: .zero))
    }
}
