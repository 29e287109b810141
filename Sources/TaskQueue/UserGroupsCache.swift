import Synchronization

/// Remembers each user's groups for a while, so that checking a principal against a group list
/// (socket peers, connector policies) does not call `getpwuid_r`/`getgrouplist` for every task:
/// those may block on a directory service (sssd, LDAP) and allocate large buffers each time.
///
/// A group change reaches the delegate within ``ttl``. At most ``capacity`` users are kept.
public final class UserGroupsCache: Sendable {
    public let ttl: Duration
    public let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let lookup: @Sendable (UInt32) -> Set<UInt32>?
    private let entries = Mutex<[UInt32: (groups: Set<UInt32>, fetched: ContinuousClock.Instant)]>([:])

    /// - Parameters:
    ///   - now: the clock; tests inject their own.
    ///   - lookup: the uncached lookup (the system's user database by default); nil when the
    ///     database could not answer.
    public init(
        ttl: Duration = .seconds(60), capacity: Int = 1024,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        lookup: @escaping @Sendable (UInt32) -> Set<UInt32>? = PeerPolicy.lookUpGroups(ofUID:)
    ) {
        self.ttl = ttl
        self.capacity = max(capacity, 1)
        self.now = now
        self.lookup = lookup
    }

    /// The primary and supplementary groups of `uid` (empty if there is no such user); nil when
    /// the database could not answer, which is not remembered: a passing failure (descriptors
    /// exhausted, a directory service restarting) must not stand for a minute.
    public func groups(ofUID uid: UInt32) -> Set<UInt32>? {
        let instant = now()
        if let cached = entries.withLock({ $0[uid] }), instant - cached.fetched < ttl { return cached.groups }
        guard let groups = lookup(uid) else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[uid] = (groups, instant)
        }
        return groups
    }
}
