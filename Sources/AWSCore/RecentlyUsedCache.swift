/// A dictionary of at most `capacity` entries, and optionally of values costing at most
/// `maximumCost` together (bytes, say), that makes room by dropping the entries used least
/// recently (looked up or stored). For caches whose keys others choose (a task's region or role,
/// an SQS `replyTo`, a secret read by a task): a stream of new keys pushes out only entries
/// nobody uses, never the ones every task needs.
///
/// Not thread-safe: keep it behind the owner's lock. A lookup costs a hash lookup and a write;
/// making room scans every entry, which happens only when a new entry does not fit. The total
/// cost is kept as entries come and go, so checking the cost bound sums nothing.
public struct RecentlyUsedCache<Key: Hashable, Value> {
    @usableFromInline
    struct Entry {
        @usableFromInline var value: Value
        @usableFromInline var cost: Int
        @usableFromInline var lastUse: UInt64

        @usableFromInline
        init(value: Value, cost: Int, lastUse: UInt64) {
            self.value = value
            self.cost = cost
            self.lastUse = lastUse
        }
    }

    public let capacity: Int
    /// The most the values may cost together; `Int.max` when only `capacity` bounds the cache.
    public let maximumCost: Int
    // Internal only so that the inlinable lookups can reach them: nothing outside this file
    // touches them (a change to `entries` must keep `totalCost`).
    @usableFromInline var entries: [Key: Entry] = [:]
    @usableFromInline var clock: UInt64 = 0
    /// What the values held cost together.
    public private(set) var totalCost = 0

    public init(capacity: Int, maximumCost: Int = .max) {
        precondition(capacity > 0, "a cache holds at least one entry")
        precondition(maximumCost >= 0, "a cost bound is not negative")
        self.capacity = capacity
        self.maximumCost = maximumCost
    }

    public var count: Int { entries.count }
    public var values: [Value] { entries.values.map(\.value) }

    /// The value for `key`, which counts as a use. Inlinable, so a lookup is specialized for its
    /// key and value in the caller's module: unspecialized, it hashed through witness tables and
    /// looked up the entry's type metadata at every call (two calls a task).
    @inlinable
    public mutating func value(for key: Key) -> Value? {
        guard let index = entries.index(forKey: key) else { return nil }
        clock += 1
        entries.values[index].lastUse = clock
        return entries.values[index].value
    }

    /// The value for `key`, without counting as a use.
    @inlinable
    public func peekValue(for key: Key) -> Value? {
        entries[key]?.value
    }

    /// Drops the entry for `key`, if any.
    public mutating func removeValue(for key: Key) {
        if let removed = entries.removeValue(forKey: key) { totalCost -= removed.cost }
    }

    /// Drops every entry for which `isKept` is false.
    public mutating func keepOnly(where isKept: (Key, Value) -> Bool) {
        entries = entries.filter { isKept($0.key, $0.value.value) }
        totalCost = entries.values.reduce(0) { $0 + $1.cost }
    }

    /// Stores `value` for `key` (replacing what `key` held), dropping the least recently used
    /// entries first until it fits in `capacity` and `maximumCost`.
    ///
    /// - Parameters:
    ///   - cost: what `value` counts against `maximumCost` (not negative).
    ///   - pushedOut: told each entry dropped to make room (not the one `key` held).
    /// - Returns: false, with nothing dropped but what `key` held, when `value` alone costs more
    ///   than `maximumCost`.
    @discardableResult
    public mutating func store(
        _ value: Value, for key: Key, cost: Int = 0, pushedOut: (Key, Value) -> Void = { _, _ in }
    ) -> Bool {
        precondition(cost >= 0, "a value's cost is not negative")
        clock += 1
        removeValue(for: key)
        guard cost <= maximumCost else { return false }
        while entries.count >= capacity || totalCost > maximumCost - cost,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            removeValue(for: oldest.key)
            pushedOut(oldest.key, oldest.value.value)
        }
        entries[key] = Entry(value: value, cost: cost, lastUse: clock)
        totalCost += cost
        return true
    }

    public mutating func removeAll() {
        entries.removeAll()
        totalCost = 0
    }
}

extension RecentlyUsedCache: Sendable where Key: Sendable, Value: Sendable {}
extension RecentlyUsedCache.Entry: Sendable where Value: Sendable {}
