import Synchronization
import Testing

@testable import Delegate

/// `ConcurrencyLimiter` alone: slot accounting, hand-over to waiters, and limit changes.
@Suite struct ConcurrencyLimiterTests {
    @Test func tryAcquireTakesOnlyFreeSlotsAndReleaseReturnsThem() async {
        let limiter = ConcurrencyLimiter(limit: 3)
        #expect(await limiter.tryAcquire(upTo: 5) == 3)
        #expect(await limiter.tryAcquire(upTo: 1) == 0)
        await limiter.release()
        #expect(await limiter.ping() == 2)
        #expect(await limiter.tryAcquire(upTo: 5) == 1)
        for _ in 0..<3 { await limiter.release() }
        #expect(await limiter.ping() == 0)
    }

    @Test func aReleaseHandsTheSlotToAWaiter() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let acquired = Mutex(false)
        let waiter = Task {
            await limiter.acquire()
            acquired.withLock { $0 = true }
        }
        #expect(acquired.withLock { $0 } == false, "the only slot is taken")
        await limiter.release()
        await waiter.value
        #expect(acquired.withLock { $0 })
        #expect(await limiter.ping() == 1, "the waiter holds the one slot")
        await limiter.release()
        #expect(await limiter.ping() == 0)
    }

    @Test func raisingTheLimitStartsWaitersAndLoweringItStopsNoOne() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let waiters = (0..<2).map { _ in Task { await limiter.acquire() } }
        await limiter.setLimit(3)
        for waiter in waiters { await waiter.value }
        #expect(await limiter.ping() == 3)

        await limiter.setLimit(1)
        #expect(await limiter.ping() == 3, "running tasks keep their slots")
        #expect(await limiter.tryAcquire(upTo: 1) == 0)
        for _ in 0..<3 { await limiter.release() }
        #expect(await limiter.ping() == 0)
        #expect(await limiter.tryAcquire(upTo: 5) == 1, "the new limit holds")
    }

    @Test func manyContendingTasksNeverExceedTheLimit() async {
        let limiter = ConcurrencyLimiter(limit: 3)
        let running = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await limiter.acquire()
                    running.state.withLock { state in
                        state.now += 1
                        state.most = max(state.most, state.now)
                    }
                    await Task.yield()
                    running.state.withLock { $0.now -= 1 }
                    await limiter.release()
                }
            }
        }
        #expect(running.state.withLock { $0.most } <= 3)
        #expect(running.state.withLock { $0.now } == 0)
        #expect(await limiter.ping() == 0)
    }
}

/// How many run now, and the most that ever ran at once.
private final class Gauge: Sendable {
    let state = Mutex((now: 0, most: 0))
}
