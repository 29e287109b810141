import FoundationEssentials
import Synchronization

/// Spool tasks put back into `new/` because the user database could not answer for their owner,
/// and those owners: looked at again no sooner than ``pause`` later. A task whose name or owner
/// waits is left in `new/` untouched, unclaimed and unasked about, so that it comes back at a
/// rescan, not at once from the event its own return made (a directory service down for minutes
/// would otherwise be asked in a loop), and a backlog of one owner's tasks costs one question
/// of the database a pause, not one a task.
final class DeferredSpoolTasks: Sendable {
    /// The least time before a task or owner put back is looked at again (the next rescan after it).
    static let pause: TimeInterval = 5
    /// The most names or owners remembered: past it, those whose time came go, then all.
    static let capacity = 4096

    private struct Waits {
        var names: [String: (from: Date, until: Date)] = [:]
        var owners: [UInt32: (from: Date, until: Date)] = [:]
    }

    private let waits = Mutex(Waits())

    /// The task file `name`, of `owner`, waits until ``pause`` after `now`.
    func `defer`(_ name: String, owner: UInt32, now: Date) {
        let entry = (from: now, until: now.addingTimeInterval(Self.pause))
        waits.withLock { waits in
            Self.makeRoom(in: &waits.names, now: now)
            Self.makeRoom(in: &waits.owners, now: now)
            waits.names[name] = entry
            waits.owners[owner] = entry
        }
    }

    /// Whether the task file `name` waits still at `now`; once its time came (or the clock went
    /// back past when it was put back), it is forgotten.
    func isWaiting(_ name: String, now: Date) -> Bool {
        waits.withLock { Self.isWaiting(name, in: &$0.names, now: now) }
    }

    /// Whether tasks of `owner` wait still at `now` (as ``isWaiting(_:now:)``).
    func isWaiting(owner: UInt32, now: Date) -> Bool {
        waits.withLock { Self.isWaiting(owner, in: &$0.owners, now: now) }
    }

    /// Forgets the task file `name` (it could not go back into `new/`, and is answered).
    func forget(_ name: String) {
        waits.withLock { _ = $0.names.removeValue(forKey: name) }
    }

    /// How many names wait (tests).
    var count: Int { waits.withLock { $0.names.count } }

    private static func isWaiting<Key: Hashable>(
        _ key: Key, in entries: inout [Key: (from: Date, until: Date)], now: Date
    ) -> Bool {
        guard let entry = entries[key] else { return false }
        if now >= entry.from, now < entry.until { return true }
        entries[key] = nil
        return false
    }

    private static func makeRoom<Key: Hashable>(in entries: inout [Key: (from: Date, until: Date)], now: Date) {
        guard entries.count >= capacity else { return }
        entries = entries.filter { $0.value.until > now && $0.value.from <= now }
        if entries.count >= capacity { entries.removeAll() }
    }
}
