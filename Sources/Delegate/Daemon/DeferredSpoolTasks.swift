import FoundationEssentials
import Synchronization

/// Spool tasks put back into `new/` to be looked at again no sooner than ``pause`` later (the
/// user database could not answer for their owner): their names, and when. A look at one before
/// then leaves it there untouched, so that it comes back at a rescan, not at once from the event
/// its own return made: a directory service down for minutes would otherwise be asked in a loop.
final class DeferredSpoolTasks: Sendable {
    /// The least time before a task put back is looked at again (the next rescan after it).
    static let pause: TimeInterval = 5
    /// The most names remembered: past it, those whose time came go, then all (looked at sooner).
    static let capacity = 4096

    private let entries = Mutex<[String: (from: Date, until: Date)]>([:])

    /// `name` waits until ``pause`` after `now`.
    func `defer`(_ name: String, now: Date) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                entries = entries.filter { $0.value.until > now && $0.value.from <= now }
                if entries.count >= Self.capacity { entries.removeAll() }
            }
            entries[name] = (now, now.addingTimeInterval(Self.pause))
        }
    }

    /// Whether `name` waits still at `now`; once its time came (or the clock went back past
    /// when it was put back), it is forgotten.
    func isWaiting(_ name: String, now: Date) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[name] else { return false }
            if now >= entry.from, now < entry.until { return true }
            entries[name] = nil
            return false
        }
    }

    func forget(_ name: String) {
        entries.withLock { $0[name] = nil }
    }

    /// How many names wait (tests).
    var count: Int { entries.withLock { $0.count } }
}
