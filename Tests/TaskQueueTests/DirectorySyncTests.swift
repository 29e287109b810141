import Foundation
import Synchronization
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
        let failing = Mutex(false)

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
                if self.failing.withLock({ $0 }) {
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
        try await Task.sleep(for: .milliseconds(100))
        #expect(returned.count == 0)  // nobody returns on an fsync that started before it asked
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
        fsync.failing.withLock { $0 = true }
        let sync = DirectorySync(path: "/done", fsync: fsync.body)
        fsync.gate.signal()  // the first fsync is not held
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do {
                        try await sync.sync()
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: false, count: 5))
        fsync.failing.withLock { $0 = false }
        try await sync.sync()
    }
}
