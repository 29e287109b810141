import Testing

@testable import Delegate

@Suite struct InFlightTrackerTests {
    @Test func aTaskPastItsDeadlineAndTheAllowanceCountsAsAStall() async {
        let tracker = InFlightTracker()
        let start = ContinuousClock.now
        #expect(await tracker.isStalled(now: start + .seconds(3600)) == false)  // nothing running
        let quick = await tracker.enter(deadline: .seconds(5), now: start)
        let slow = await tracker.enter(deadline: .seconds(60), now: start)
        let justInside = start + .seconds(5) + InFlightTracker.overrunAllowance - .milliseconds(1)
        #expect(await tracker.isStalled(now: justInside) == false)
        #expect(await tracker.isStalled(now: start + .seconds(5) + InFlightTracker.overrunAllowance + .seconds(1)))
        await tracker.leave(quick)
        #expect(await tracker.isStalled(now: start + .seconds(40)) == false)
        #expect(await tracker.isStalled(now: start + .seconds(91)))
        await tracker.leave(slow)
        #expect(await tracker.isStalled(now: start + .seconds(3600)) == false)
        #expect(await tracker.current == 0)
    }
}
