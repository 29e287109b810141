import Synchronization
import Testing

@testable import Delegate

/// `ConcurrencyLimiter` alone: slot accounting, hand-over to waiters, and limit changes.
@Suite struct ConcurrencyLimiterTests {
    @Test func tryAcquireTakesOnlyFreeSlotsAndReleaseReturnsThem() async {
        let limiter = ConcurrencyLimiter(limit: 3)
        #expect(limiter.tryAcquire(upTo: 5) == 3)
        #expect(limiter.tryAcquire(upTo: 1) == 0)
        limiter.release()
        #expect(limiter.inUse == 2)
        #expect(limiter.tryAcquire(upTo: 5) == 1)
        for _ in 0..<3 { limiter.release() }
        #expect(limiter.inUse == 0)
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
        limiter.release()
        await waiter.value
        #expect(acquired.withLock { $0 })
        #expect(limiter.inUse == 1, "the waiter holds the one slot")
        limiter.release()
        #expect(limiter.inUse == 0)
    }

    /// A cancelled waiter gives up without a slot and leaves the queue, so the next release goes
    /// to the waiter behind it; a waiter for claimed work (`acquire`) keeps waiting.
    @Test(.timeLimit(.minutes(1))) func aCancelledWaiterGivesUpWithoutASlot() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        // Queued one after the other, behind the held slot, before the cancellation.
        let cancelled = Task { await limiter.acquireUnlessCancelled() }
        while limiter.waiting < 1 { await Task.yield() }
        let patient = Task { await limiter.acquire(); return true }
        while limiter.waiting < 2 { await Task.yield() }
        let next = Task { await limiter.acquireUnlessCancelled() }
        while limiter.waiting < 3 { await Task.yield() }
        cancelled.cancel()
        #expect(await cancelled.value == false, "gave up, holding no slot")
        #expect(limiter.waiting == 2)
        limiter.release()
        #expect(await patient.value, "the slot went to the next waiter in line")
        limiter.release()
        #expect(await next.value)
        #expect(limiter.inUse == 1, "only the last waiter holds a slot")
        limiter.release()
        #expect(limiter.inUse == 0)

        // A task already cancelled when it asks, with no slot free, gives up at once.
        await limiter.acquire()
        let alreadyCancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await limiter.acquireUnlessCancelled()
        }
        #expect(await alreadyCancelled.value == false)
        #expect(limiter.waiting == 0)
        limiter.release()
        #expect(limiter.inUse == 0)
    }

    /// A stop ends every wait that may be given up at once, and every later one; a waiter that
    /// may not give up (`acquire`) keeps its place and gets the next slot.
    @Test(.timeLimit(.minutes(1))) func endingWaitsEndsThoseThatMayGiveUpNowAndLater() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let first = Task { await limiter.acquireUnlessCancelled() }
        while limiter.waiting < 1 { await Task.yield() }
        let patient = Task { await limiter.acquire(); return true }
        while limiter.waiting < 2 { await Task.yield() }
        let last = Task { await limiter.acquireUnlessCancelled { _ in } }
        while limiter.waiting < 3 { await Task.yield() }

        limiter.endWaits()
        #expect(await first.value == false)
        #expect(await last.value == false)
        #expect(limiter.waiting == 1, "the claimed work still waits")
        #expect(limiter.inUse == 1)
        limiter.release()
        #expect(await patient.value, "and gets the slot")
        limiter.release()
        #expect(limiter.inUse == 0)

        // Later: at once, holding none, even with a slot free.
        #expect(await limiter.acquireUnlessCancelled() == false)
        #expect(limiter.inUse == 0 && limiter.waiting == 0)
    }

    /// Slots go to waiters in the order they asked, each release to the longest waiter.
    @Test(.timeLimit(.minutes(1))) func waitersAreServedInArrivalOrder() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let order = ServedOrder()
        var waiters: [Task<Void, Never>] = []
        for index in 0..<5 {
            waiters.append(Task {
                await limiter.acquire()
                order.indices.withLock { $0.append(index) }
            })
            while limiter.waiting < index + 1 { await Task.yield() }
        }
        for served in 1...5 {
            limiter.release()
            // The next waiter in line got the slot before another is released.
            while order.indices.withLock({ $0.count }) < served { await Task.yield() }
        }
        for waiter in waiters { await waiter.value }
        #expect(order.indices.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(limiter.inUse == 1, "the last waiter holds the slot")
        limiter.release()
        #expect(limiter.inUse == 0)
    }

    /// Waiters giving up (a deadline each) anywhere in a long queue leave the rest served in
    /// arrival order, and the queue keeps no trace of them beyond a bounded few.
    @Test(.timeLimit(.minutes(1))) func waitersGivingUpAnywhereLeaveTheRestInOrder() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let order = ServedOrder()
        let giveUps = GiveUps()
        var waiters: [Task<Bool, Never>] = []
        for index in 0..<300 {
            waiters.append(Task {
                let got = await limiter.acquireUnlessCancelled { giveUp in
                    giveUps.actions.withLock { $0[index] = giveUp }
                }
                if got { order.indices.withLock { $0.append(index) } }
                return got
            })
            while limiter.waiting < index + 1 { await Task.yield() }
        }
        // All but every tenth give up, from the back, the front and the middle in turn.
        let leaving = (0..<300).filter { $0 % 10 != 0 }
        var sequence: [Int] = []
        var low = 0, high = leaving.count - 1
        while low <= high {
            sequence.append(leaving[high]); high -= 1
            if low <= high { sequence.append(leaving[low]); low += 1 }
        }
        for index in sequence {
            let giveUp = giveUps.actions.withLock { $0[index] }
            giveUp?()
        }
        #expect(limiter.waiting == 30)
        #expect(limiter.queueLength <= 64, "given-up waiters are not kept: \(limiter.queueLength)")
        for served in 1...30 {
            limiter.release()
            while order.indices.withLock({ $0.count }) < served { await Task.yield() }
        }
        var results: [Bool] = []
        for waiter in waiters { results.append(await waiter.value) }
        #expect(results.filter { $0 }.count == 30)
        #expect(order.indices.withLock { $0 } == Array(stride(from: 0, to: 300, by: 10)))
        #expect(limiter.inUse == 1 && limiter.waiting == 0 && limiter.queueLength == 0)
        limiter.release()
    }

    @Test func raisingTheLimitStartsWaitersAndLoweringItStopsNoOne() async {
        let limiter = ConcurrencyLimiter(limit: 1)
        await limiter.acquire()
        let waiters = (0..<2).map { _ in Task { await limiter.acquire() } }
        limiter.setLimit(3)
        for waiter in waiters { await waiter.value }
        #expect(limiter.inUse == 3)

        limiter.setLimit(1)
        #expect(limiter.inUse == 3, "running tasks keep their slots")
        #expect(limiter.tryAcquire(upTo: 1) == 0)
        for _ in 0..<3 { limiter.release() }
        #expect(limiter.inUse == 0)
        #expect(limiter.tryAcquire(upTo: 5) == 1, "the new limit holds")
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
                    limiter.release()
                }
            }
        }
        #expect(running.state.withLock { $0.most } <= 3)
        #expect(running.state.withLock { $0.now } == 0)
        #expect(limiter.inUse == 0)
    }
}

/// How many run now, and the most that ever ran at once.
private final class Gauge: Sendable {
    let state = Mutex((now: 0, most: 0))
}

/// Each waiter's give-up action, by its index.
private final class GiveUps: Sendable {
    let actions = Mutex<[Int: @Sendable () -> Void]>([:])
}

/// The waiters in the order they got their slots.
private final class ServedOrder: Sendable {
    let indices = Mutex<[Int]>([])
}
