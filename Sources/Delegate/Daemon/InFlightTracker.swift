/// Knows how many tasks are running so a graceful stop can wait for them (up to a grace period).
actor InFlightTracker {
    private var count = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    func enter() { count += 1 }

    func leave() {
        count -= 1
        if count == 0 {
            let waiters = idleWaiters
            idleWaiters.removeAll()
            waiters.forEach { $0.resume() }
        }
    }

    var current: Int { count }

    /// Returns when nothing is running, or after `timeout`; true when idle.
    nonisolated func waitUntilIdle(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.untilIdle(); return true }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            if !first { await self.releaseWaiters() }
            return first
        }
    }

    private func untilIdle() async {
        if count == 0 { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func releaseWaiters() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
