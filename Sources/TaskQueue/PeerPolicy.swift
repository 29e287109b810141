import Glibc
import Logging

/// Which peers may talk to the socket: root and the server's own uid always; besides them the
/// listed users, and peers that hold one of the listed groups: as their gid or a supplementary
/// group, as the kernel reports them at connect (``PeerCredentials/groups``); the user database
/// answers only where the kernel cannot tell.
///
/// Entries are names or numeric ids. Names are resolved when the server starts and again when its
/// policy is updated (a reload); an unknown name is logged and ignored rather than failing the daemon.
public struct PeerPolicy: Sendable, Equatable {
    public var allowedUsers: [String]
    public var allowedGroups: [String]

    public init(allowedUsers: [String] = [], allowedGroups: [String] = []) {
        self.allowedUsers = allowedUsers
        self.allowedGroups = allowedGroups
    }

    /// The policy with names resolved to ids.
    struct Resolved: Sendable, Equatable {
        var ownUID: UInt32
        var uids: Set<UInt32>
        var gids: Set<UInt32>

        /// Whether `peer` may connect; looks up the peer's groups only when groups are configured
        /// (a user database that cannot answer admits no one by a group: the peer may try again).
        func allows(_ peer: PeerCredentials) -> Bool {
            if peer.uid == 0 || peer.uid == ownUID || uids.contains(peer.uid) { return true }
            return PeerPolicy.holdsOne(of: gids, uid: peer.uid, gid: peer.gid, groups: peer.groups) ?? false
        }
    }

    /// Whether a principal holds one of `gids`: as its `gid`, or as one of its supplementary
    /// `groups` as the kernel reported them. Where the kernel did not (`groups` nil: a spool
    /// file's owner, an old kernel), the user database answers for `uid`, primary group included
    /// (`groupsOf`, the cached ``groups(ofUID:)`` but in tests); nil when it could not answer.
    /// The one membership rule for the socket's policy and for connectors' `allowed_groups`.
    public static func holdsOne(
        of gids: Set<UInt32>, uid: UInt32, gid: UInt32?, groups: [UInt32]?,
        groupsOf: (UInt32) -> Set<UInt32>? = PeerPolicy.groups(ofUID:)
    ) -> Bool? {
        if gids.isEmpty { return false }
        if let gid, gids.contains(gid) { return true }
        if let groups { return groups.contains(where: gids.contains) }
        return groupsOf(uid).map { !gids.isDisjoint(with: $0) }
    }

    func resolve(logger: Logger) -> Resolved {
        let users = Self.ids(of: allowedUsers, Self.lookUpUser)
        for (user, failure) in users.unresolved {
            let what = failure.map { "a user that could not be looked up (\($0))" } ?? "an unknown user"
            logger.warning("socket_allowed_users names \(what); ignored until a reload", metadata: ["user": "\(user)"])
        }
        let groups = Self.ids(of: allowedGroups, Self.lookUpGroup)
        for (group, failure) in groups.unresolved {
            let what = failure.map { "a group that could not be looked up (\($0))" } ?? "an unknown group"
            logger.warning("socket_allowed_groups names \(what); ignored until a reload", metadata: ["group": "\(group)"])
        }
        return Resolved(ownUID: getuid(), uids: users.ids, gids: groups.ids)
    }

    /// The ids `names` (names or numeric ids) resolve to with `lookUp` (``lookUpUser(_:)`` or
    /// ``lookUpGroup(_:)``), and each name that resolved to none: with the database's failure, or
    /// nil when no one has it. The one rule for the socket's lists and connectors' `allowed_*`.
    public static func ids(
        of names: [String], _ lookUp: (String) -> UserDatabase.Answer<UInt32>
    ) -> (ids: Set<UInt32>, unresolved: [(name: String, failure: String?)]) {
        var ids: Set<UInt32> = []
        var unresolved: [(name: String, failure: String?)] = []
        for name in names {
            let answer = lookUp(name)
            if let id = answer.value { ids.insert(id) } else { unresolved.append((name, answer.failure)) }
        }
        return (ids, unresolved)
    }

    /// `name`, a user's name or a numeric uid, as a uid: absent when there is no such user,
    /// unavailable when the user database could not answer.
    @Sendable public static func lookUpUser(_ name: String) -> UserDatabase.Answer<UInt32> {
        if let uid = UInt32(name) { return .found(uid) }
        return UserDatabase.answer(startingAt: 16 * 1024) { buffer, size in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            let status = getpwnam_r(name, &entry, buffer, size, &result)
            return (status, result == nil ? nil : entry.pw_uid)
        }
    }

    /// `name`, a group's name or a numeric gid, as a gid (``lookUpUser(_:)``'s answers). The entry
    /// holds the member list, so a large group takes a larger buffer than the first.
    @Sendable public static func lookUpGroup(_ name: String) -> UserDatabase.Answer<UInt32> {
        if let gid = UInt32(name) { return .found(gid) }
        return UserDatabase.answer(startingAt: 64 * 1024) { buffer, size in
            var entry = group()
            var result: UnsafeMutablePointer<group>? = nil
            let status = getgrnam_r(name, &entry, buffer, size, &result)
            return (status, result == nil ? nil : entry.gr_gid)
        }
    }

    /// The name of the user with `uid`, nil if there is none.
    public static func userName(ofUID uid: UInt32) -> String? {
        passwordEntry(ofUID: uid).value?.name
    }

    /// The name and primary group of the user with `uid` (`getpwuid_r`).
    private static func passwordEntry(ofUID uid: UInt32) -> UserDatabase.Answer<(name: String, gid: UInt32)> {
        UserDatabase.answer(startingAt: 16 * 1024) { buffer, size in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            let status = getpwuid_r(uid, &entry, buffer, size, &result)
            guard result != nil, let name = entry.pw_name else { return (status, nil) }
            return (status, (String(cString: name), entry.pw_gid))
        }
    }

    /// The process-wide cache behind ``groups(ofUID:)``.
    public static let groupsCache = UserGroupsCache()

    /// The primary and supplementary groups of the user with `uid` (empty if there is no such
    /// user), from a cache that forgets them after a minute; nil when the user database could
    /// not answer (not remembered: the next call asks again).
    @Sendable public static func groups(ofUID uid: UInt32) -> Set<UInt32>? {
        groupsCache.groups(ofUID: uid)
    }

    /// ``groups(ofUID:)`` without the cache: asks the user database.
    @Sendable public static func lookUpGroups(ofUID uid: UInt32) -> Set<UInt32>? {
        let (name, primary): (String, UInt32)
        switch passwordEntry(ofUID: uid) {
        case .found(let entry): (name, primary) = entry
        case .absent: return []
        case .unavailable: return nil
        }
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(name, primary, &groups, &found) >= 0 {
                return Set(groups.prefix(Int(found)))
            }
            guard found > count, found < 65_536 else { return [primary] }
            count = found
        }
    }
}
