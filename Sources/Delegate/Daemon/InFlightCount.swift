/// How many of something are under way (an SQS poll loop, a message in hand, a spool result
/// waiting to be written), and a wait until none is: where nothing asks when each should end or
/// what it is (``InFlightTracker`` keeps that for the running tasks, which the watchdog reads).
final class InFlightCount: Sendable {
    /// Idle at zero.
    private let count = Condition(0) { $0 == 0 }

    func enter() { count.update { $0 += 1 } }

    /// Enters unless `limit` are under way already; true when it entered (and must leave).
    func enter(below limit: Int) -> Bool {
        count.update { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.update { $0 -= 1 } }

    var current: Int { count.read { $0 } }

    /// Returns when none is under way, or when the caller is cancelled; true when idle.
    @discardableResult
    func waitUntilIdle() async -> Bool { await count.wait() }

    /// Returns when none is under way, or after `timeout`; true when idle.
    func waitUntilIdle(timeout: Duration) async -> Bool { await count.wait(timeout: timeout) }
}
