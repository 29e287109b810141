import Glibc

/// Who is on the other end of a Unix socket, as the kernel reports it (`SO_PEERCRED`): the
/// credentials of the peer at the time it connected, which it cannot forge.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
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
        return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid)
    }

    public var description: String { "uid \(uid), gid \(gid), pid \(pid)" }
}
