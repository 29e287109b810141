/// Decides when the daemon gives the memory a burst of work freed back to the kernel
/// (``Systemd/HeapMemory/trim()``): once the delegate has gone a whole status round without
/// finishing anything and with nothing in flight, after it did some work, and only if malloc
/// keeps at least ``threshold`` bytes free (a task or two leave too little to be worth a trim).
/// Once per burst: the next trim waits for more work.
struct IdleHeapTrim {
    /// The least free heap worth giving back.
    static let threshold = 1 << 20

    /// The work count seen at the last round.
    private var lastActivity: Int
    /// The work count when the heap was last looked at (trimmed or found not worth it).
    private var settledAt: Int

    /// - Parameter activity: the work done so far (tasks finished, credential requests answered).
    init(activity: Int) {
        lastActivity = activity
        settledAt = activity
    }

    /// Called once per status round. True when the heap should be trimmed now; `freeBytes` is
    /// asked only when the delegate has just gone idle after work.
    mutating func isDue(activity: Int, inFlight: Int, freeBytes: () -> Int) -> Bool {
        defer { lastActivity = activity }
        guard inFlight == 0, activity == lastActivity, activity != settledAt else { return false }
        settledAt = activity
        return freeBytes() >= Self.threshold
    }
}
