import Synchronization
import TaskQueue
import Testing

@testable import Delegate

/// Tasks an earlier run left claimed start as slots are had, and none once the delegate is
/// stopping: those stay claimed for the next start.
@Suite struct SpoolRecoveryStartTests {
    private static let claimed = (1...4).map { ClaimedTask(name: "t\($0).json", path: "/spool/cur/d/t\($0).json", recovered: true) }

    @Test func noRecoveredTaskStartsOnceSlotsAreRefused() async {
        let slots = Mutex(2)
        var started: [String] = []
        let count = await SpoolIntake.start(Self.claimed, reserveSlot: {
            slots.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        }) { started.append($0.name) }
        #expect(count == 2)
        #expect(started == ["t1.json", "t2.json"])
    }

    @Test func everyRecoveredTaskStartsWhileSlotsAreHad() async {
        var started = 0
        let count = await SpoolIntake.start(Self.claimed, reserveSlot: { true }) { _ in started += 1 }
        #expect(count == 4 && started == 4)
    }
}
