/// Knows which tasks are running: a graceful stop waits for them (up to a grace period), and the
/// watchdog asks whether any has overrun its deadline, which the deadline machinery never
/// allows while the dispatch loop works.
actor InFlightTracker {
    /// How far past its deadline a task may still be running (its result being written, say)
    /// before the delegate counts as stalled.
    static let overrunAllowance: Duration = .seconds(30)

    private var nextToken: UInt64 = 0
    /// When each running task, by token, will have overrun its deadline.
    private var overrunAt: [UInt64: ContinuousClock.Instant] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// A task starts with `deadline` to run; pass the token to ``leave(_:)``.
    func enter(deadline: Duration, now: ContinuousClock.Instant = .now) -> UInt64 {
        nextToken += 1
        overrunAt[nextToken] = now + deadline + Self.overrunAllowance
        return nextToken
    }

    /// Whether some running task is past its deadline and the allowance: the dispatch loop is
    /// wedged (a blocked thread, a lost continuation), and systemd should restart the delegate.
    func isStalled(now: ContinuousClock.Instant = .now) -> Bool {
        overrunAt.values.contains { $0 < now }
    }

    func leave(_ token: UInt64) {
        overrunAt[token] = nil
        if overrunAt.isEmpty {
            let waiters = idleWaiters
            idleWaiters.removeAll()
            waiters.forEach { $0.resume() }
        }
    }

    var current: Int { overrunAt.count }

    /// Returns when nothing is running, or after `timeout`; true when idle.
    nonisolated func waitUntilIdle(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.untilIdle(); return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout); return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            if !first { await self.releaseWaiters() }
            return first
        }
    }

    private func untilIdle() async {
        // Cancelled before it got here (the timeout came first, `releaseWaiters` may already have
        // run): it must not wait, or the stop would wait for the tasks after all.
        if overrunAt.isEmpty || Task.isCancelled { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func releaseWaiters() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
