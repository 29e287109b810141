import Testing

@testable import Delegate

/// When the daemon gives freed heap back to the kernel: once per burst of work, after a whole
/// status round without any, and only when enough is free.
@Suite struct IdleHeapTrimTests {
    private static let plenty = IdleHeapTrim.threshold

    /// One status round; `free` is what the heap would report (counted in `asked` when asked).
    private static func round(
        _ trim: inout IdleHeapTrim, activity: Int, inFlight: Int = 0, free: Int = plenty, asked: inout Int
    ) -> Bool {
        trim.isDue(activity: activity, inFlight: inFlight, freeBytes: { asked += 1; return free })
    }

    @Test func aFreshDelegateNeverTrims() {
        var trim = IdleHeapTrim(activity: 0)
        var asked = 0
        var trimmed: [Bool] = []
        for _ in 0..<5 { trimmed.append(Self.round(&trim, activity: 0, asked: &asked)) }
        #expect(trimmed == [false, false, false, false, false])
        #expect(asked == 0, "the heap was looked at without any work done")
    }

    @Test func itTrimsOnceAfterAQuietRoundFollowingWork() {
        var trim = IdleHeapTrim(activity: 0)
        var asked = 0
        let rounds = [
            // Tasks finish in this round and the next: not idle yet.
            Self.round(&trim, activity: 40, inFlight: 3, asked: &asked),
            Self.round(&trim, activity: 90, asked: &asked),
            // A round with nothing finished and nothing in flight: trim, once.
            Self.round(&trim, activity: 90, asked: &asked),
            Self.round(&trim, activity: 90, asked: &asked),
            Self.round(&trim, activity: 90, asked: &asked),
            // More work, then quiet again: one more trim.
            Self.round(&trim, activity: 95, asked: &asked),
            Self.round(&trim, activity: 95, asked: &asked),
        ]
        #expect(rounds == [false, false, true, false, false, false, true])
        #expect(asked == 2)
    }

    @Test func aTaskStillRunningHoldsTheTrimBack() {
        var trim = IdleHeapTrim(activity: 10)
        var asked = 0
        let rounds = [
            Self.round(&trim, activity: 12, inFlight: 1, asked: &asked),
            Self.round(&trim, activity: 12, inFlight: 1, asked: &asked),
            Self.round(&trim, activity: 12, inFlight: 0, asked: &asked),
        ]
        #expect(rounds == [false, false, true])
    }

    @Test func tooLittleFreeIsNotWorthATrimAndIsNotAskedAgainUntilMoreWork() {
        var trim = IdleHeapTrim(activity: 0)
        var asked = 0
        let rounds = [
            Self.round(&trim, activity: 1, asked: &asked),
            Self.round(&trim, activity: 1, free: Self.plenty - 1, asked: &asked),
            Self.round(&trim, activity: 1, asked: &asked),
        ]
        #expect(rounds == [false, false, false])
        #expect(asked == 1)
    }
}
