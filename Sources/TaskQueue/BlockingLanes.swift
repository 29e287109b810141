import Dispatch
import Synchronization

/// A few serial queues of threads of their own for system calls that block for a long time (a
/// result file's `fsync(2)` waits on the disk), so that they never hold one of the cooperative
/// pool's threads: that pool has one thread per core, and two results waiting on the disk would
/// stop every other task on a 2-core host.
///
/// Work is handed to the lanes in turn. Several lanes let a file system that merges concurrent
/// fsyncs into one journal commit (ext4 with a journal, XFS) do so; the threads are started only
/// when work comes. Taking turns keeps the choice free of locks; the price is that a call whose
/// lane is held by a slow one waits for it even when another lane is idle, which only a disk
/// that stalls one file and not the others would show.
final class BlockingLanes: Sendable {
    private let lanes: [DispatchQueue]
    private let next = Atomic<Int>(0)
    private static let laneKey = DispatchSpecificKey<Int>()

    /// - Parameter count: how many calls may block at once (at least 1).
    init(label: String, count: Int) {
        lanes = (0..<max(1, count)).map { index in
            let lane = DispatchQueue(label: "\(label).\(index)")
            lane.setSpecific(key: Self.laneKey, value: index)
            return lane
        }
    }

    /// The lane the calling code runs on, nil off the lanes (for tests and diagnostics).
    static var currentLane: Int? { DispatchQueue.getSpecific(key: laneKey) }

    /// Runs `body` on the next lane, suspending the caller until it returns.
    func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let turn = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let lane = lanes[Int(turn.magnitude % UInt(lanes.count))]
        return try await lane.perform { Result(catching: body) }.get()
    }
}
