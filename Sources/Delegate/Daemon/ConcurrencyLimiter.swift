/// Bounds how many tasks run at once (`[delegate] concurrency`). Waiters are served in arrival
/// order; the limit can change on reload without disturbing tasks already running.
public actor ConcurrencyLimiter {
    private var limit: Int
    private var running = 0
    private var waiters: [Waiter] = []
    private var nextWaiter: UInt64 = 0

    /// A task waiting for a slot: resumed with true when it gets one, false when it gave up.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a free slot, even if the waiting task is cancelled: for work already taken on
    /// (a claimed spool task) that must run or be written before the slot is given back.
    public func acquire() async {
        _ = await wait(cancellable: false)
    }

    /// Waits for a free slot; false, holding none, when the waiting task is cancelled first
    /// (a stop closing a socket's handler calls, an SQS loop ending).
    public func acquireUnlessCancelled() async -> Bool {
        await wait(cancellable: true)
    }

    private func wait(cancellable: Bool) async -> Bool {
        if running < limit, waiters.isEmpty {
            running += 1
            return true
        }
        if cancellable, Task.isCancelled { return false }
        nextWaiter += 1
        let id = nextWaiter
        // No suspension between here and the waiter joining the queue (this runs on the actor,
        // and `giveUp` needs the actor too): a cancellation always finds it queued or served.
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters.append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            guard cancellable else { return }
            Task { await self.giveUp(id) }
        }
    }

    /// A cancelled waiter still in the queue leaves it without a slot; one already served keeps
    /// its slot (its caller releases it as usual).
    private func giveUp(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    /// Takes up to `count` slots that are free now, without waiting (none while others wait).
    public func tryAcquire(upTo count: Int) -> Int {
        guard waiters.isEmpty else { return 0 }
        let taken = max(0, min(count, limit - running))
        running += taken
        return taken
    }

    /// Frees a slot, handing it to the longest waiter.
    public func release() {
        if running <= limit, !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: true)
        } else {
            running -= 1
        }
    }

    public func setLimit(_ newLimit: Int) {
        limit = max(1, newLimit)
        while running < limit, !waiters.isEmpty {
            running += 1
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    /// How many tasks wait for a slot.
    var waiting: Int { waiters.count }

    /// Answers when the actor is responsive (the watchdog's liveness probe).
    public func ping() -> Int { running }
}
