/// Bounds how many tasks run at once (`[delegate] concurrency`). Waiters are served in arrival
/// order; the limit can change on reload without disturbing tasks already running.
public actor ConcurrencyLimiter {
    private var limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a free slot.
    public func acquire() async {
        if running < limit, waiters.isEmpty {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
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
            waiters.removeFirst().resume()
        } else {
            running -= 1
        }
    }

    public func setLimit(_ newLimit: Int) {
        limit = max(1, newLimit)
        while running < limit, !waiters.isEmpty {
            running += 1
            waiters.removeFirst().resume()
        }
    }

    /// Answers when the actor is responsive (the watchdog's liveness probe).
    public func ping() -> Int { running }
}
