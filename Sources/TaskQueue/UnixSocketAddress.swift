import Glibc
import LineSocket

/// Building a `sockaddr_un` for a path, with the length check the kernel would otherwise apply
/// by silently truncating.
enum UnixSocketAddress {
    static func withAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) throws(TaskQueueError) -> T {
        guard let result = UnixSocketPath.withAddress(path, body) else { throw TaskQueueError(UnixSocketPath.invalid(path)) }
        return result
    }

    /// A new stream socket (close-on-exec).
    static func makeSocket(nonBlocking: Bool) throws(TaskQueueError) -> Int32 {
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = socket(AF_UNIX, type, 0)
        guard fd >= 0 else { throw .system("socket", path: nil, errno: errno) }
        return fd
    }

    /// Connects `fd` to `path` (blocking connect on a blocking socket; on a non-blocking one,
    /// EAGAIN when the listener's backlog is full).
    static func connect(_ fd: Int32, to path: String) throws(TaskQueueError) {
        let result = try withAddress(path) { address, length in
            FileIO.retrying { Glibc.connect(fd, address, length) }
        }
        if result != 0 { throw .system("connect", path: path, errno: errno) }
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
}
