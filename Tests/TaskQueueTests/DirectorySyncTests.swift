import Foundation
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// Group commit of a directory's fsync: one fsync serves every caller that asked while the
/// previous one ran, and each caller returns only after an fsync that started after it asked.
@Suite struct DirectorySyncTests {
    /// An fsync that records each call and holds the first one until `release()`.
    final class PacedFsync: Sendable {
        let calls = Mutex(0)
        let firstStarted = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        /// The calls (1 is the first) that fail.
        let failingCalls = Mutex(Set<Int>())

        var body: @Sendable (String) throws(TaskQueueError) -> Void {
            { _ throws(TaskQueueError) in
                let call = self.calls.withLock { calls in
                    calls += 1
                    return calls
                }
                if call == 1 {
                    self.firstStarted.signal()
                    self.gate.wait()
                }
                if self.failingCalls.withLock({ $0.contains(call) }) {
                    throw TaskQueueError(code: .io, message: "fsync failed", path: "/done")
                }
            }
        }
    }

    @Test func callersWaitingDuringAnFsyncShareTheNextOne() async throws {
        let fsync = PacedFsync()
        let sync = DirectorySync(path: "/done", fsync: fsync.body)
        let first = Task { try await sync.sync() }
        // The first fsync is running; ten callers arrive while it runs.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                fsync.firstStarted.wait()
                continuation.resume()
            }
        }
        let returned = CallCounter()
        let waiting = (0..<10).map { _ in
            Task {
                try await sync.sync()
                returned.increment()
            }
        }
        // All ten wait for the next fsync; nobody returns on one that started before it asked.
        #expect(await eventually { sync.waiting == 10 })
        #expect(returned.count == 0)
        fsync.gate.signal()
        try await first.value
        for task in waiting { try await task.value }
        #expect(returned.count == 10)
        #expect(fsync.calls.withLock { $0 } == 2)

        // Alone, a caller gets one fsync of its own.
        try await sync.sync()
        #expect(fsync.calls.withLock { $0 } == 3)
    }

    @Test func aFailedFsyncFailsEveryCallerOfItsBatch() async throws {
        let fsync = PacedFsync()
        fsync.failingCalls.withLock { $0 = [2] }  // the batch's fsync, not the one before it
        let sync = DirectorySync(path: "/done", fsync: fsync.body)
        let first = Task { try await sync.sync() }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                fsync.firstStarted.wait()
                continuation.resume()
            }
        }
        let batch = (0..<5).map { _ in
            Task { () -> Bool in
                do {
                    try await sync.sync()
                    return true
                } catch {
                    return false
                }
            }
        }
        #expect(await eventually { sync.waiting == 5 })
        fsync.gate.signal()
        try await first.value
        var outcomes: [Bool] = []
        for task in batch { outcomes.append(await task.value) }
        #expect(outcomes == Array(repeating: false, count: 5))
        #expect(fsync.calls.withLock { $0 } == 2, "one fsync served the five")
        try await sync.sync()
    }
}
