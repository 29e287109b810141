/// A dictionary of at most `capacity` entries that, when full, makes room by dropping the entry
/// used least recently (looked up or stored). For caches whose keys others choose (a task's
/// region or role, an SQS `replyTo`): a stream of new keys pushes out only entries nobody uses,
/// never the ones every task needs.
///
/// Not thread-safe: keep it behind the owner's lock. A lookup costs a hash lookup and a write;
/// making room scans every entry, which happens only when a new key arrives at a full cache.
public struct RecentlyUsedCache<Key: Hashable, Value> {
    private struct Entry {
        var value: Value
        var lastUse: UInt64
    }

    public let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    public var count: Int { entries.count }
    public var values: [Value] { entries.values.map(\.value) }

    /// The value for `key`, which counts as a use.
    public mutating func value(for key: Key) -> Value? {
        guard let index = entries.index(forKey: key) else { return nil }
        clock += 1
        entries.values[index].lastUse = clock
        return entries.values[index].value
    }

    /// Drops the entry for `key`, if any.
    public mutating func removeValue(for key: Key) {
        entries.removeValue(forKey: key)
    }

    /// Drops every entry whose value fails `isKept`.
    public mutating func keepOnly(where isKept: (Value) -> Bool) {
        entries = entries.filter { isKept($0.value.value) }
    }

    /// Stores `value` for `key`, dropping the least recently used entry first if the cache is
    /// full and `key` is new.
    public mutating func store(_ value: Value, for key: Key) {
        clock += 1
        if entries[key] == nil, entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
        {
            entries.removeValue(forKey: oldest)
        }
        entries[key] = Entry(value: value, lastUse: clock)
    }

    public mutating func removeAll() {
        entries.removeAll()
    }
}
