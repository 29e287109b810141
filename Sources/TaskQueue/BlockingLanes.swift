import Dispatch
import Synchronization

/// A few serial queues of threads of their own for system calls that block for a long time (a
/// result file's `fsync(2)` waits on the disk), so that they never hold one of the cooperative
/// pool's threads: that pool has one thread per core, and two results waiting on the disk would
/// stop every other task on a 2-core host.
///
/// Work is handed to the lanes in turn. Several lanes let a file system that merges concurrent
/// fsyncs into one journal commit (ext4 with a journal, XFS) do so; the threads are started only
/// when work comes.
final class BlockingLanes: Sendable {
    private let lanes: [DispatchQueue]
    private let next = Atomic<Int>(0)

    /// - Parameter count: how many calls may block at once (at least 1).
    init(label: String, count: Int) {
        lanes = (0..<max(1, count)).map { DispatchQueue(label: "\(label).\($0)") }
    }

    /// Runs `body` on the next lane, suspending the caller until it returns.
    func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let turn = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let lane = lanes[Int(turn.magnitude % UInt(lanes.count))]
        return try await lane.perform { Result(catching: body) }.get()
    }
}
