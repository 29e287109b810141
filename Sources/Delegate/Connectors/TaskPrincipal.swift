import TaskQueue

/// Who is asking for a task (docs/INTERFACE.md section 9): the principal a connector's
/// `allowed_*` lists are checked against.
public struct TaskPrincipal: Sendable, Equatable, CustomStringConvertible {
    public enum Intake: String, Sendable, Equatable {
        /// A socket peer: its `SO_PEERCRED` uid (and gid).
        case socket
        /// A spool task: the owner of its file.
        case spool
        /// A systemd credential request (section 11): the unit named in the helper's address.
        case unit
        /// An SQS task: the queue it came from (`queueURL`); `uid` means nothing then.
        case queue
    }

    public let intake: Intake
    public let uid: UInt32
    /// The peer's primary gid as the kernel reported it (socket only).
    public let gid: UInt32?
    /// The socket peer's supplementary groups as the kernel reported them; nil for other
    /// intakes, or where the kernel cannot tell: then the user database answers for `uid`.
    public let groups: [UInt32]?
    /// The unit asking through the credentials socket (``Intake/unit`` only).
    public private(set) var unit: String? = nil
    /// The queue an SQS task came from (queue only).
    public var queueURL: String? = nil

    public init(intake: Intake, uid: UInt32, gid: UInt32? = nil, groups: [UInt32]? = nil) {
        self.intake = intake
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Whether this principal holds one of `gids` (``PeerPolicy/holdsOne(of:uid:gid:groups:groupsOf:)``);
    /// nil when the user database had to answer and could not.
    func holdsOne(of gids: Set<UInt32>, groupsOf: (UInt32) -> Set<UInt32>?) -> Bool? {
        PeerPolicy.holdsOne(of: gids, uid: uid, gid: gid, groups: groups, groupsOf: groupsOf)
    }

    public static func socketPeer(_ peer: PeerCredentials) -> TaskPrincipal {
        TaskPrincipal(intake: .socket, uid: peer.uid, gid: peer.gid, groups: peer.groups)
    }

    public static func spoolFile(ownerUID: UInt32) -> TaskPrincipal {
        TaskPrincipal(intake: .spool, uid: ownerUID)
    }

    /// A unit asking through the credentials socket. Its uid is the service manager's helper's
    /// (root); it is not a local principal, so it counts only through `allowed_units`.
    public static func systemdUnit(_ unit: String, helperUID: UInt32) -> TaskPrincipal {
        var principal = TaskPrincipal(intake: .unit, uid: helperUID)
        principal.unit = unit
        return principal
    }

    /// An SQS task from `queueURL`. It is no local user: `uid` is `UInt32.max` (never root) and
    /// only `allowed_queues` admits it.
    public static func sqsQueue(_ queueURL: String) -> TaskPrincipal {
        var principal = TaskPrincipal(intake: .queue, uid: .max)
        principal.queueURL = queueURL
        return principal
    }

    /// `uid 65534 (nobody)`: a uid and, when it has one, the user's name; `unit app.service`;
    /// `queue <url>` for SQS.
    public var description: String {
        if let unit { return "unit \(unit)" }
        if let queueURL { return "queue \(queueURL)" }
        return "uid \(uid)" + (PeerPolicy.userName(ofUID: uid).map { " (\($0))" } ?? "")
    }
}
