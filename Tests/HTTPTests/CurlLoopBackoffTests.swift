import Testing

@testable import HTTP

/// The curl engine's loop neither spins nor floods the journal while curl keeps failing.
@Suite struct CurlLoopBackoffTests {
    @Test func pausesDoubleToASecondAndLogsThinOut() {
        var backoff = CurlLoopBackoff()
        let steps = (1...10).map { _ in backoff.record(failed: true) }
        #expect(
            steps.map(\.pause) == [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000].map { .milliseconds($0) })
        #expect(steps.map(\.log) == [true, true, false, true, false, false, false, true, false, false])
        #expect(backoff.failures == 10)
    }

    @Test func aGoodTurnStartsOver() {
        var backoff = CurlLoopBackoff()
        #expect(backoff.record(failed: false) == .init(pause: nil, log: false))
        _ = backoff.record(failed: true)
        _ = backoff.record(failed: true)
        #expect(backoff.record(failed: false) == .init(pause: nil, log: false, recoveredAfter: 2))
        #expect(backoff.failures == 0)
        #expect(backoff.record(failed: false) == .init(pause: nil, log: false))
        #expect(backoff.record(failed: true) == .init(pause: .milliseconds(10), log: true))
    }
}
