import Dispatch
import Synchronization

/// Group commit for one directory's `fsync(2)`: callers that renamed a file into the directory
/// wait for the next fsync that starts after they asked, and one fsync serves everyone who asked
/// while the previous one ran. Under load that is one directory fsync per batch of results
/// instead of one per result; alone, a caller waits for exactly one fsync, as before.
///
/// The fsync runs on a serial queue of its own, never on the cooperative pool.
final class DirectorySync: Sendable {
    private struct State {
        var waiters: [CheckedContinuation<TaskQueueError?, Never>] = []
        var running = false
    }

    let path: String
    private let state = Mutex(State())
    private let queue: DispatchQueue
    private let fsync: @Sendable (String) throws(TaskQueueError) -> Void

    /// - Parameter fsync: makes the directory's entries durable (tests count and pace it).
    init(
        path: String,
        fsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = { path throws(TaskQueueError) in
            try FileIO.fsyncDirectory(path)
        }
    ) {
        self.path = path
        self.queue = DispatchQueue(label: "TaskQueue.DirectorySync")
        self.fsync = fsync
    }

    /// Returns once an fsync of the directory that started after this call has completed.
    func sync() async throws(TaskQueueError) {
        let error = await withCheckedContinuation { (continuation: CheckedContinuation<TaskQueueError?, Never>) in
            let start = state.withLock { state in
                state.waiters.append(continuation)
                if state.running { return false }
                state.running = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
        if let error { throw error }
    }

    /// Callers waiting for an fsync that has not started yet (for tests).
    var waiting: Int {
        state.withLock { $0.waiters.count }
    }

    /// Fsyncs for everyone waiting, batch after batch, until nobody waits.
    private func drain() {
        while true {
            let batch = state.withLock { state in
                let batch = state.waiters
                state.waiters = []
                if batch.isEmpty { state.running = false }
                return batch
            }
            if batch.isEmpty { return }
            // Every waiter in `batch` renamed its file before it was queued, so before this fsync.
            var failure: TaskQueueError?
            do { try fsync(path) } catch { failure = error }
            for waiter in batch { waiter.resume(returning: failure) }
        }
    }
}
