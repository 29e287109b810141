/// How many of something are under way (an SQS poll loop, a message in hand), and a wait until
/// none is: what a stop waits for where nothing asks when each should end or what it is
/// (``InFlightTracker`` keeps that for the running tasks, which the watchdog reads).
final class InFlightCount: Sendable {
    /// Idle at zero: the stop waits for that.
    private let count = Condition(0) { $0 == 0 }

    func enter() { count.update { $0 += 1 } }

    func leave() { count.update { $0 -= 1 } }

    var current: Int { count.read { $0 } }

    /// Returns when none is under way, or after `timeout`; true when idle.
    func waitUntilIdle(timeout: Duration) async -> Bool { await count.wait(timeout: timeout) }
}
