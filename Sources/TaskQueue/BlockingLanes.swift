import Dispatch
import Synchronization

/// A few serial queues of threads of their own for system calls that block for a long time (a
/// result file's `fsync(2)` waits on the disk), so that they never hold one of the cooperative
/// pool's threads: that pool has one thread per core, and two results waiting on the disk would
/// stop every other task on a 2-core host.
///
/// Each call goes to an idle lane if there is one, else to the lane with the fewest calls queued
/// (the search starts at a different lane each time, so ties are spread). Several lanes let a file
/// system that merges concurrent fsyncs into one journal commit (ext4 with a journal, XFS) do so;
/// picking the least busy one keeps a call from waiting behind a slow one while another lane is
/// idle. The threads are started only when work comes; the choice takes no lock.
///
/// (`@usableFromInline`, `@inlinable`: ``runUnlessCancelled(_:)`` is specialized where it is called,
/// in the spool's hot path, instead of looking up its generic types' metadata at each call.)
@usableFromInline final class BlockingLanes: Sendable {
    @usableFromInline final class Lane: Sendable {
        @usableFromInline let queue: DispatchQueue
        /// Calls handed to this lane and not yet finished.
        @usableFromInline let queued = Atomic<Int>(0)

        init(queue: DispatchQueue) { self.queue = queue }
    }

    private let lanes: [Lane]
    private let next = Atomic<Int>(0)
    private static let laneKey = DispatchSpecificKey<Int>()

    /// - Parameter count: how many calls may block at once (at least 1).
    init(label: String, count: Int) {
        lanes = (0..<max(1, count)).map { index in
            let queue = DispatchQueue(label: "\(label).\(index)")
            queue.setSpecific(key: Self.laneKey, value: index)
            return Lane(queue: queue)
        }
    }

    /// The lane the calling code runs on, nil off the lanes (for tests and diagnostics).
    static var currentLane: Int? { DispatchQueue.getSpecific(key: laneKey) }

    /// Runs `body` on the least busy lane, suspending the caller until it returns.
    func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let lane = takeLeastBusyLane()
        return try await lane.queue.perform {
            defer { lane.queued.subtract(1, ordering: .relaxed) }
            return Result(catching: body)
        }.get()
    }

    /// ``run(_:)``, given up when the caller is cancelled (the stop): nil then, at once, while
    /// `body` goes on on its lane and what it returns is dropped; a caller cancelled before the
    /// call starts nothing (one cancelled in the moment the call begins may start `body`, whose
    /// answer is then dropped). For calls a stop may abandon to a file system that hangs.
    @inlinable func runUnlessCancelled<T: Sendable, E: Error>(
        _ body: @escaping @Sendable () throws(E) -> T
    ) async -> Result<T, E>? {
        if Task.isCancelled { return nil }
        let lane = takeLeastBusyLane()
        let answer = OnceAnswer<Result<T, E>>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                answer.wait(continuation)
                lane.queue.async {
                    defer { lane.queued.subtract(1, ordering: .relaxed) }
                    answer.give(Result(catching: body))
                }
            }
        } onCancel: {
            answer.give(nil)
        }
    }

    /// The lane a call goes to, its count already taken: an idle lane is claimed with a
    /// compare-and-exchange, so two calls at once never both take the same idle lane.
    @usableFromInline func takeLeastBusyLane() -> Lane {
        let start = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue.magnitude % UInt(lanes.count))
        var best = lanes[start]
        var fewest = Int.max
        for step in 0..<lanes.count {
            let lane = lanes[(start + step) % lanes.count]
            let load = lane.queued.load(ordering: .relaxed)
            if load == 0, lane.queued.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged {
                return lane
            }
            if load < fewest { (best, fewest) = (lane, load) }
        }
        best.queued.add(1, ordering: .relaxed)
        return best
    }
}

/// The one answer of a ``BlockingLanes/runUnlessCancelled(_:)`` call: the first of the lane's
/// result and the caller's cancellation (nil), whichever comes first; given to the continuation
/// once it waits, whichever comes first of the two.
@usableFromInline final class OnceAnswer<Value: Sendable>: Sendable {
    @usableFromInline let state = Mutex<(waiting: CheckedContinuation<Value?, Never>?, answer: Value??)>((nil, nil))

    @inlinable init() {}

    @inlinable func wait(_ continuation: CheckedContinuation<Value?, Never>) {
        let answered = state.withLock { state -> Value?? in
            guard let answer = state.answer else {
                state.waiting = continuation
                return nil
            }
            return .some(answer)
        }
        if let answer = answered { continuation.resume(returning: answer) }
    }

    /// The answer (nil: the caller was cancelled); only the first counts.
    @inlinable func give(_ value: Value?) {
        let waiting = state.withLock { state -> CheckedContinuation<Value?, Never>? in
            guard state.answer == nil else { return nil }
            state.answer = .some(value)
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume(returning: value)
    }
}
