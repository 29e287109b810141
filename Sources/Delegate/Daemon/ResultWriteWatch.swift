import Synchronization

/// The spool's result writes in progress, and when each began: a write that does not return (a
/// file system that hangs: frozen, a hard mount whose server is gone, a disk in long error
/// recovery) blocks with no error to log. One table for every write, looked over by one loop
/// (``SpoolIntake/watchResultWrites()``): a write costs two short locks, no task or timer of its
/// own.
final class ResultWriteWatch: Sendable {
    struct Write: Sendable {
        /// What is being done, for the lines: "writing the result for t-1.json".
        let what: String
        let resultID: String?
        /// Counted in `unwritten` once told (not a write whose result is counted already).
        let counted: Bool
        let began: ContinuousClock.Instant
        var told = false
    }

    private let writes = Mutex<(next: UInt64, open: [UInt64: Write])>((0, [:]))

    /// Notes a write beginning `now`; its ticket for ``end(_:unwritten:)``.
    func begin(_ what: String, resultID: String?, counted: Bool, now: ContinuousClock.Instant) -> UInt64 {
        writes.withLock { writes in
            writes.next &+= 1
            writes.open[writes.next] = Write(what: what, resultID: resultID, counted: counted, began: now)
            return writes.next
        }
    }

    /// The write returned: the write, if it had been told as hung (no longer counted in
    /// `unwritten`), so that its return is told too.
    func end(_ ticket: UInt64, unwritten: InFlightCount) -> Write? {
        writes.withLock { writes in
            guard let write = writes.open.removeValue(forKey: ticket), write.told else { return nil }
            // Under the lock, as the count was entered: never left before it was entered.
            if write.counted { unwritten.leave() }
            return write
        }
    }

    /// The writes begun `after` or longer before `now` and not yet told: marked told, and each
    /// counted in `unwritten` until it returns.
    func tellHung(after: Duration, now: ContinuousClock.Instant, unwritten: InFlightCount) -> [Write] {
        writes.withLock { writes in
            var hung: [Write] = []
            for (ticket, write) in writes.open where !write.told && now - write.began >= after {
                writes.open[ticket]?.told = true
                if write.counted { unwritten.enter() }
                hung.append(write)
            }
            return hung
        }
    }
}
