import TaskQueue

/// Who is asking for a task (docs/INTERFACE.md section 9): the principal a connector's
/// `allowed_*` lists are checked against.
public struct TaskPrincipal: Sendable, Equatable, CustomStringConvertible {
    public enum Intake: String, Sendable, Equatable {
        /// A socket peer: its `SO_PEERCRED` uid (and gid).
        case socket
        /// A spool task: the owner of its file.
        case spool
    }

    public let intake: Intake
    public let uid: UInt32
    /// The peer's primary gid as the kernel reported it (socket only).
    public let gid: UInt32?

    public init(intake: Intake, uid: UInt32, gid: UInt32? = nil) {
        self.intake = intake
        self.uid = uid
        self.gid = gid
    }

    public static func socketPeer(_ peer: PeerCredentials) -> TaskPrincipal {
        TaskPrincipal(intake: .socket, uid: peer.uid, gid: peer.gid)
    }

    public static func spoolFile(ownerUID: UInt32) -> TaskPrincipal {
        TaskPrincipal(intake: .spool, uid: ownerUID)
    }

    /// `uid 65534 (nobody)`: a uid and, when it has one, the user's name.
    public var description: String {
        "uid \(uid)" + (PeerPolicy.userName(ofUID: uid).map { " (\($0))" } ?? "")
    }
}
