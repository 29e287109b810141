import Foundation
import LineSocket

/// Listening Unix sockets for tests that play a server.
public enum UnixListener {
    /// A blocking stream socket bound to `path` and listening, with room for `backlog` waiting
    /// connections (Linux queues backlog + 1); the caller accepts (or never does) and closes it.
    public static func listen(at path: String, backlog: Int32) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bound = UnixSocketPath.withAddress(path) { bind(fd, $0, $1) }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let number = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: number) ?? .EADDRINUSE)
        }
        return fd
    }
}
