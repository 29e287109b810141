import Glibc

/// Who is on the other end of a Unix socket, as the kernel reports it (`SO_PEERCRED`,
/// `SO_PEERGROUPS`): the credentials of the peer at the time it connected, which it cannot forge.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The peer's supplementary groups as it connected (`SO_PEERGROUPS`), which are what it holds
    /// (a unit's `SupplementaryGroups=` included, a group it dropped excluded); nil where the
    /// kernel cannot tell (before Linux 4.13), and then the user database answers for it.
    public var groups: [UInt32]?

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32]? = nil) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Layout of `struct ucred`, which glibc hides behind `_GNU_SOURCE`.
    private struct UCred {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The credentials of the peer of a connected Unix socket.
    static func of(socket fd: Int32) throws(TaskQueueError) -> PeerCredentials {
        var cred = UCred()
        var length = socklen_t(MemoryLayout<UCred>.size)
        let result = withUnsafeMutablePointer(to: &cred) { pointer in
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, pointer, &length)
        }
        guard result == 0, length == socklen_t(MemoryLayout<UCred>.size) else {
            throw .system("getsockopt(SO_PEERCRED)", path: nil, errno: errno)
        }
        return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid, groups: supplementaryGroups(of: fd))
    }

    /// `SO_PEERGROUPS` from <asm-generic/socket.h>, which Swift's Glibc module does not export.
    static let peerGroupsOption: Int32 = 59

    /// The peer's supplementary groups (`SO_PEERGROUPS`), or nil if the kernel does not say.
    static func supplementaryGroups(of fd: Int32) -> [UInt32]? {
        var groups = [gid_t](repeating: 0, count: 64)
        while true {
            var length = socklen_t(groups.count * MemoryLayout<gid_t>.size)
            let result = groups.withUnsafeMutableBytes { getsockopt(fd, SOL_SOCKET, peerGroupsOption, $0.baseAddress, &length) }
            let count = Int(length) / MemoryLayout<gid_t>.size
            if result == 0 { return Array(groups.prefix(count)) }
            // ERANGE: `length` says how much room the list needs (at most NGROUPS_MAX, 65,536).
            guard errno == ERANGE, count > groups.count, count <= 65_536 else { return nil }
            groups = [gid_t](repeating: 0, count: count)
        }
    }

    public var description: String { "uid \(uid), gid \(gid), pid \(pid)" }
}
