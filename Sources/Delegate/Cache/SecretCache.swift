import AWSCore
import AWSCredentials
import FoundationEssentials
import SecretsManager
import Synchronization

/// The read cache of named connectors (docs/INTERFACE.md section 14): `getSecretValue` answers in
/// memory only, at most `capacity` of them and `maximumBytes` of values, the least recently used
/// evicted first.
///
/// An entry is fresh until its connector's `cache_ttl_seconds` have passed since it was stored
/// (or renewed), and may be served stale for `cache_stale_seconds` more. Past its TTL it is kept
/// for revalidation (DescribeSecret instead of GetSecretValue) for one more TTL, or the stale
/// window if that is longer; an entry nobody asked for by then is dropped.
/// Values are only referenced here, never copied elsewhere, logged or written: an entry that is
/// dropped, evicted or replaced lets its value go.
///
/// A write, or a reload that changes a connector, forgets the entries it concerns at once, and a
/// read that asked AWS before that cannot store its (possibly older) answer afterwards: every read
/// takes a `ReadToken` before it calls AWS, and `store` refuses an answer invalidated since. A task
/// admitted under a connector's old configuration never stores either: only a connector exactly
/// as it is in force (`update(connectors:)`) may.
///
/// An entry also keeps the principal that read it (an access key id, the delegate's identity as a
/// reload made it, an assumed role; ``ResolvedCredentials/Principal``): it is served only to reads
/// made as that principal, so a key id replaced in its file, or a new identity, is never answered
/// with what the old one read.
public final class SecretCache: Sendable {
    public typealias Output = SecretsManagerClient.GetSecretValueOutput

    public static let maximumEntries = 1000
    /// The values kept at most, in bytes (a value is at most 64 KiB, so a thousand of the largest
    /// would otherwise hold 64 MB). A value larger than this alone is not kept.
    public static let maximumValueBytes = 16 << 20
    /// Invalidations remembered for refusing late stores; a read older than the oldest forgotten
    /// one cannot store at all (it simply is not cached).
    static let invalidationMemory = 256

    /// Counters for `status`.
    public struct Statistics: Sendable, Equatable {
        /// Answered from the cache (fresh, confirmed by DescribeSecret, or stale).
        public var hits = 0
        /// Answered by a GetSecretValue call (no entry, a changed version, or `refresh`).
        public var misses = 0
        /// DescribeSecret calls made for entries past their TTL.
        public var revalidations = 0
        /// Answers served stale while Secrets Manager was unreachable (counted in `hits` too).
        public var staleServed = 0
        public var entries = 0
    }

    /// Taken before a read calls AWS; see `store`.
    public struct ReadToken: Sendable {
        let epoch: UInt64
        /// The read's place among all reads: of two answers for one key, the later read's is kept.
        let sequence: UInt64
    }

    /// What the cache holds for a key.
    public enum Lookup: Sendable {
        /// Within its TTL: answer it.
        case fresh(Output)
        /// Past its TTL (but not past its stale window): ask whether its version is still current.
        case expired(Output)
        case miss
    }

    public enum Event: Sendable {
        case hit, miss, revalidation
    }

    struct Entry: Sendable {
        var output: Output
        /// The `ReadToken.sequence` of the read that stored it.
        var read: UInt64
        /// Who read it; see `lookup`.
        var principal: ResolvedCredentials.Principal
        var storedAt: Date
        var expiresAt: Date
        var staleUntil: Date
        var keptUntil: Date

        init(output: Output, read: UInt64, principal: ResolvedCredentials.Principal, now: Date, ttl: Int, stale: Int) {
            self.output = output
            self.read = read
            self.principal = principal
            storedAt = now
            expiresAt = now.addingTimeInterval(TimeInterval(ttl))
            staleUntil = expiresAt.addingTimeInterval(TimeInterval(stale))
            keptUntil = expiresAt.addingTimeInterval(TimeInterval(max(ttl, stale)))
        }
    }

    enum Scope: Sendable {
        case secret(region: String, name: String)
        case connector(String)

        func covers(_ key: SecretCacheKey, _ output: Output) -> Bool {
            switch self {
            case .secret(let region, let name):
                key.region == region
                    && (key.fullName == name || output.name == name || output.arn == name
                        || Self.isPartialARN(name, of: output.arn))
            case .connector(let id):
                key.connectorID == id
            }
        }

        /// Whether `name` is `arn` without the `-` and six characters AWS adds to a secret's ARN
        /// (a partial ARN, which AWS takes as the secret's id too).
        static func isPartialARN(_ name: String, of arn: String) -> Bool {
            arn.utf8.count == name.utf8.count + 7 && arn.utf8.starts(with: name.utf8)
                && arn.utf8.dropFirst(name.utf8.count).first == UInt8(ascii: "-")
        }
    }

    struct State: Sendable {
        /// Bounded in count and in the bytes of the values (`valueBytes`).
        var entries: RecentlyUsedCache<SecretCacheKey, Entry>
        var epoch: UInt64 = 0
        /// Reads begun so far.
        var reads: UInt64 = 0
        /// Reads that began before this epoch may not store.
        var floor: UInt64 = 0
        var invalidations: [(scope: Scope, epoch: UInt64)] = []
        /// Keys dropped because AWS refused a read of them, with the epoch of the drop: kept apart
        /// from `invalidations`, so that refusals a peer can provoke at will neither crowd out
        /// the writes' invalidations nor raise `floor` for every other read.
        var forgotten: [SecretCacheKey: UInt64] = [:]
        /// Keys whose entries were dropped to make room, with the read that stored each: a read
        /// begun before it may not store the key again (a `refresh`'s answer pushed out by other
        /// keys must not let a slower, earlier read put an older version back).
        var pushedOut: [SecretCacheKey: UInt64] = [:]
        /// Reads begun before this one may store no key `pushedOut` no longer remembers.
        var pushedOutFloor: UInt64 = 0
        var statistics = Statistics()
        /// The named connectors in force.
        var connectors: [String: NamedConnector] = [:]
    }

    private let state: Mutex<State>
    /// What entries' ages are measured on: in the daemon ``ElapsedTimeClock``, which wall-clock
    /// steps do not move (tests step theirs, which the checks below are for).
    private let clock: any WallClock
    public let capacity: Int
    public let maximumBytes: Int

    public init(
        clock: any WallClock, capacity: Int = SecretCache.maximumEntries,
        maximumBytes: Int = SecretCache.maximumValueBytes
    ) {
        self.clock = clock
        self.capacity = max(1, capacity)
        self.maximumBytes = max(0, maximumBytes)  // a negative bound keeps only empty values
        state = Mutex(State(entries: RecentlyUsedCache(capacity: self.capacity, maximumCost: self.maximumBytes)))
    }

    /// The bytes of a value the cache accounts for.
    static func valueBytes(_ output: Output) -> Int {
        (output.secretString?.utf8.count ?? 0) + (output.secretBinary?.count ?? 0)
    }

    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.entries = state.entries.count
            return statistics
        }
    }

    public func count(_ event: Event) {
        state.withLock { state in
            switch event {
            case .hit: state.statistics.hits += 1
            case .miss: state.statistics.misses += 1
            case .revalidation: state.statistics.revalidations += 1
            }
        }
    }

    public func beginRead() -> ReadToken {
        state.withLock { state in
            state.reads += 1
            return ReadToken(epoch: state.epoch, sequence: state.reads)
        }
    }

    /// The entry for `key`, marked as used. An entry no longer kept is dropped (a miss). A miss
    /// too for a task admitted under a `connector` no longer in force (a reload changed it since):
    /// what the one in force read (its credentials may read more) is not served to it; and for a
    /// `principal` other than the one that read the entry: another principal may read less.
    public func lookup(
        _ key: SecretCacheKey, connector: NamedConnector, principal: ResolvedCredentials.Principal
    ) -> Lookup {
        let now = clock.now()
        return state.withLock { state in
            guard state.connectors[key.connectorID] == connector, let entry = state.entries.value(for: key),
                entry.principal == principal
            else {
                return .miss
            }
            guard now < entry.keptUntil else {
                state.entries.removeValue(for: key)
                return .miss
            }
            // A clock stepped back before the store counts as expired: ask AWS rather than trust it.
            return now < entry.expiresAt && now >= entry.storedAt ? .fresh(entry.output) : .expired(entry.output)
        }
    }

    /// The entry for `key` if it is still within its stale window, for when Secrets Manager is
    /// unreachable, and whether it is past its TTL (`stale`, counted as served stale). One still
    /// fresh (stored by another read meanwhile) is no stale value, whatever the stale window.
    /// Not when the clock was stepped back before the store: how old the value is cannot be told
    /// then.
    /// Only to the `principal` that read it, as ``lookup(_:connector:principal:)``.
    public func staleValue(
        _ key: SecretCacheKey, connector: NamedConnector, principal: ResolvedCredentials.Principal
    ) -> (output: Output, stale: Bool)? {
        let now = clock.now()
        return state.withLock { state in
            guard state.connectors[key.connectorID] == connector, let entry = state.entries.peekValue(for: key),
                entry.principal == principal, now < entry.staleUntil, now >= entry.storedAt
            else {
                return nil
            }
            let stale = now >= entry.expiresAt
            state.statistics.hits += 1
            if stale { state.statistics.staleServed += 1 }
            return (entry.output, stale)
        }
    }

    /// Installs the named connectors in force (at start and on reload); those that changed in
    /// any key, or went away, forget their entries.
    public func update(connectors: [String: NamedConnector]) {
        let changed = state.withLock { state in
            defer { state.connectors = connectors }
            return state.connectors.keys.filter { connectors[$0] != state.connectors[$0] }
        }
        invalidate(connectorIDs: changed)
    }

    /// Keeps `output` for `key` for the connector's TTL (and stale window), unless the secret was
    /// written or the connector reloaded since `token` was taken, `connector` is not the one in
    /// force under its id, or a read begun after this one stored its answer already (a slow read
    /// must not put back an older version, with a TTL of its own, over a `refresh`'s). Evicts the
    /// least recently used entry when full. `principal` read it (see ``lookup(_:connector:principal:)``).
    public func store(
        _ output: Output, for key: SecretCacheKey, connector: NamedConnector, principal: ResolvedCredentials.Principal,
        token: ReadToken
    ) {
        let now = clock.now()
        let (ttl, stale) = (connector.policy.cacheTTLSeconds, connector.policy.cacheStaleSeconds)
        state.withLock { state in
            guard Self.mayStore(output, for: key, connector: connector, token: token, in: state) else { return }
            if let held = state.entries.peekValue(for: key), held.read > token.sequence { return }
            // Replaces what the key held; an answer too large to keep still drops the older one.
            Self.keep(
                Entry(output: output, read: token.sequence, principal: principal, now: now, ttl: ttl, stale: stale),
                for: key, in: &state)
        }
    }

    /// Stores `entry` for `key`, remembering the entries dropped to make room (``State/pushedOut``);
    /// whether it was kept (not when it alone is larger than the cache may hold).
    @discardableResult
    private static func keep(_ entry: Entry, for key: SecretCacheKey, in state: inout State) -> Bool {
        var dropped: [(SecretCacheKey, UInt64)] = []
        let kept = state.entries.store(entry, for: key, cost: valueBytes(entry.output)) {
            dropped.append(($0, $1.read))
        }
        // One too large to keep still dropped what the key held: remembered as pushed out.
        state.pushedOut[key] = kept ? nil : entry.read
        for (droppedKey, read) in dropped { state.pushedOut[droppedKey] = read }
        forgetOlderHalf(of: &state.pushedOut, past: pushedOutMemory, raising: &state.pushedOutFloor)
        return kept
    }

    /// Past `memory` records, the older half of `records` (by the number each holds) goes, and
    /// `floor` rises to the newest of those: what the forgotten records refused, everything
    /// older than them is refused now (a read then is simply not cached).
    private static func forgetOlderHalf(
        of records: inout [SecretCacheKey: UInt64], past memory: Int, raising floor: inout UInt64
    ) {
        guard records.count > memory else { return }
        let cut = records.values.sorted()[records.count / 2]
        records = records.filter { $0.value >= cut }
        floor = max(floor, cut)
    }

    /// Keys pushed out remembered for refusing late stores.
    static let pushedOutMemory = 1024

    /// Starts a new TTL (the connector's) for `key`'s entry if it still holds `versionId`
    /// (DescribeSecret said it is still the one asked for), with the version's stages as
    /// DescribeSecret gave them; as for `store`, not when the entry was invalidated since `token`
    /// was taken or `connector` is not the one in force (a task admitted before a reload must not
    /// renew an entry under the old TTL); nor for another `principal` than the one that read it.
    /// - Returns: the renewed answer, or nil when the entry is gone, holds another version, or may
    ///   not be renewed.
    public func renew(
        _ key: SecretCacheKey, versionId: String, stages: [String]?, connector: NamedConnector,
        principal: ResolvedCredentials.Principal, token: ReadToken
    ) -> Output? {
        let now = clock.now()
        let (ttl, stale) = (connector.policy.cacheTTLSeconds, connector.policy.cacheStaleSeconds)
        return state.withLock { state in
            guard let held = state.entries.peekValue(for: key), SecretCacheKey.same(held.output.versionId, versionId),
                held.principal == principal,
                Self.mayStore(held.output, for: key, connector: connector, token: token, in: state)
            else { return nil }
            var output = held.output
            if let stages { output.versionStages = stages }
            guard
                Self.keep(
                    Entry(
                        output: output, read: max(held.read, token.sequence), principal: principal, now: now, ttl: ttl,
                        stale: stale),
                    for: key, in: &state)
            else { return nil }
            return output
        }
    }

    /// Whether a read that took `token` under `connector` may keep `output` for `key`: the
    /// connector is the one in force, and nothing covering the key was invalidated since.
    private static func mayStore(
        _ output: Output, for key: SecretCacheKey, connector: NamedConnector, token: ReadToken, in state: State
    ) -> Bool {
        token.epoch >= state.floor && state.connectors[key.connectorID] == connector
            && (state.forgotten[key].map { $0 <= token.epoch } ?? true)
            && (state.pushedOut[key].map { $0 <= token.sequence } ?? (token.sequence >= state.pushedOutFloor))
            && !state.invalidations.contains { $0.epoch > token.epoch && $0.scope.covers(key, output) }
    }

    /// Drops `key`'s entry: AWS refused the read (not found, access denied) or said its version
    /// is no longer the one asked for, so nothing may be served for it any longer; a read that
    /// began before cannot store it again. One entry's work, whatever the cache holds: the drop
    /// is remembered for the key alone. Past `forgottenMemory` such records the older half goes,
    /// and reads begun before the newest of those may no longer store at all (a read of a key
    /// whose record went could otherwise put back what AWS refused): reads in flight then are not
    /// cached, later ones are.
    public func forget(_ key: SecretCacheKey) {
        state.withLock { state in
            state.entries.removeValue(for: key)
            state.epoch += 1
            state.forgotten[key] = state.epoch
            Self.forgetOlderHalf(of: &state.forgotten, past: Self.forgottenMemory, raising: &state.floor)
        }
    }

    /// Refused keys remembered for refusing late stores.
    static let forgottenMemory = 1024

    /// Drops every entry for the secret `name` (a full name or ARN) in `region`, whichever
    /// connector read it and by whichever name: a write through this delegate.
    public func invalidate(region: String, name: String) {
        invalidate(.secret(region: region, name: name))
    }

    /// Drops every entry of the connectors `ids`: a reload changed or removed them, or changed
    /// the delegate's identity they read with (`instanceRole`).
    public func invalidate(connectorIDs ids: some Sequence<String>) {
        for id in ids { invalidate(.connector(id)) }
    }

    private func invalidate(_ scope: Scope) {
        state.withLock { state in
            state.entries.keepOnly { key, entry in !scope.covers(key, entry.output) }
            state.epoch += 1
            state.invalidations.append((scope, state.epoch))
            if state.invalidations.count > Self.invalidationMemory {
                // Only ever raised: the floor also stands for refusal records `forget` let go.
                state.floor = max(state.floor, state.invalidations.removeFirst().epoch)
            }
        }
    }

    /// Drops the entries no longer kept, so that their values do not wait for their key to be
    /// asked for again, and those stored after the clock's present (it was stepped back: how long
    /// they were kept cannot be told).
    public func purgeExpired() {
        let now = clock.now()
        state.withLock { state in
            state.entries.keepOnly { _, entry in now < entry.keptUntil && now >= entry.storedAt }
        }
    }
}
