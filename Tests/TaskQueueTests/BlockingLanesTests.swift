import Foundation
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// Blocking calls (a result's fsync) run on lanes of their own: never on the cooperative pool,
/// several at once, with their errors passed back typed.
@Suite struct BlockingLanesTests {
    /// Eight calls block at once while the pool (one thread per core) still runs other tasks, and
    /// every one of them returns once released.
    @Test func blockedCallsHoldNeitherThePoolNorEachOther() async throws {
        let lanes = BlockingLanes(label: "test.lanes", count: 8)
        let started = CallCounter()
        let allStarted = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let calls = (0..<8).map { index in
            Task { () -> (index: Int, lane: Int?) in
                await lanes.run {
                    let lane = BlockingLanes.currentLane
                    if started.increment() == 8 { allStarted.signal() }
                    // Bounded, so that a failure is an assertion and not a hung test.
                    return (release.wait(timeout: .now() + 120) == .success ? index : -1, lane)
                }
            }
        }
        // All eight block together: on the pool's few threads they could not, nor if two calls
        // shared a lane (each lane runs one call at a time).
        let together = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: allStarted.wait(timeout: .now() + 30)) }
        }
        #expect(together == .success)
        // The pool is free meanwhile: a task on it finishes while the eight still block (with them
        // on the pool's threads it could not run until they were released, 120 s on). The wait is
        // long because the pool is shared with every other test running at the same time.
        let poolFree = DispatchSemaphore(value: 0)
        Task.detached { poolFree.signal() }
        let poolRan = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: poolFree.wait(timeout: .now() + 60)) }
        }
        #expect(poolRan == .success)
        for _ in 0..<8 { release.signal() }
        var returned: [Int] = []
        var used: Set<Int> = []
        for call in calls {
            let (index, lane) = await call.value
            returned.append(index)
            if let lane { used.insert(lane) }
        }
        #expect(returned == Array(0..<8))
        // Each ran on a lane of its own (whatever the number of cores), not on the pool.
        #expect(used == Set(0..<8))
        #expect(BlockingLanes.currentLane == nil)
    }

    /// A call held on one lane (a stalled fsync) does not hold the calls after it: they go to the
    /// idle lanes, however many come.
    @Test func callsAvoidALaneHeldByASlowOne() async throws {
        let lanes = BlockingLanes(label: "test.lanes", count: 4)
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = Task {
            await lanes.run { () -> (lane: Int?, released: Bool) in
                holding.signal()
                // Bounded, so that a failure is an assertion and not a hung test. The bound is far
                // above what twenty calls take on a loaded host: a hold that ran out would free the
                // lane before the calls were done, and the check below would prove nothing.
                let released = release.wait(timeout: .now() + 120) == .success
                return (BlockingLanes.currentLane, released)
            }
        }
        let started = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: holding.wait(timeout: .now() + 30)) }
        }
        #expect(started == .success)
        var used: [Int?] = []
        for _ in 0..<20 { used.append(await lanes.run { BlockingLanes.currentLane }) }
        // Taking turns, the fifth call would wait on the held lane until the hold times out.
        release.signal()
        let (lane, released) = await held.value
        let heldLane = try #require(lane)
        #expect(released)
        #expect(!used.contains(nil))
        #expect(!used.contains(heldLane))
    }

    @Test func aThrownErrorComesBackTyped() async {
        let lanes = BlockingLanes(label: "test.lanes", count: 2)
        do {
            _ = try await lanes.run { () throws(TaskQueueError) -> Int in
                throw TaskQueueError(code: .io, message: "fsync failed", path: "/done/x.json")
            }
            Issue.record("no error")
        } catch {
            #expect(error.code == .io)
            #expect(error.path == "/done/x.json")
        }
        // The lane serves the next call after a failure.
        let value = await lanes.run { 7 }
        #expect(value == 7)
    }

    /// A call given up by its cancelled caller answers nil at once, while its body goes on to its
    /// end on the lane; one whose caller was cancelled before starts nothing; one not cancelled
    /// answers what its body returned or threw.
    @Test(.timeLimit(.minutes(1))) func aCancelledCallerStopsWaitingAtOnce() async throws {
        let lanes = BlockingLanes(label: "test.cancel", count: 1)
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = CallCounter()
        let call = Task { () -> Result<Int, Never>? in
            await lanes.runUnlessCancelled {
                entered.signal()
                _ = release.wait(timeout: .now() + 30)
                finished.increment()
                return 1
            }
        }
        #expect(await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: entered.wait(timeout: .now() + 30) == .success) }
        })
        call.cancel()
        let answer = await call.value
        #expect(answer == nil, "the cancelled caller waited for the body")
        #expect(finished.count == 0, "answered before the body ended")
        release.signal()
        // The body ended on its lane, which serves the next call.
        #expect(await lanes.runUnlessCancelled { () -> Int in 2 }.map { try? $0.get() } == 2)
        #expect(finished.count == 1)

        let started = CallCounter()
        let cancelledBefore = Task { () -> Result<Int, Never>? in
            withUnsafeCurrentTask { $0?.cancel() }
            return await lanes.runUnlessCancelled { started.increment() }
        }
        #expect(await cancelledBefore.value == nil)
        #expect(started.count == 0, "a call of a cancelled caller started")
        let failed = await lanes.runUnlessCancelled { () throws(TaskQueueError) -> Int in
            throw TaskQueueError(code: .io, message: "failed")
        }
        #expect(failed.map { (try? $0.get()) == nil } == true)
    }
}
