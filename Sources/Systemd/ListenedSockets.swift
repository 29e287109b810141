internal import CSystemd
internal import Glibc

/// Listening sockets handed over by systemd socket activation (`secrets-delegate.socket`).
public enum ListenedSockets {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// Takes the inherited listening Unix stream sockets, in the order the socket unit lists them.
    ///
    /// Wraps `sd_listen_fds(3)`: it checks `$LISTEN_PID` against this process, reads
    /// `$LISTEN_FDS`, sets close-on-exec on the descriptors and, with `unsetEnvironment`,
    /// removes the variables so child processes do not think the sockets are theirs.
    /// Descriptors that are not listening `AF_UNIX` stream sockets are left alone and not
    /// returned. An empty result means no socket activation: the caller binds its own socket.
    public static func take(unsetEnvironment: Bool = true) throws(SystemdError) -> [Int32] {
        let count = sd_listen_fds(unsetEnvironment ? 1 : 0)
        if count < 0 {
            throw SystemdError(
                code: .listenFDsFailed,
                message: "could not read the sockets passed by systemd (LISTEN_FDS)",
                errno: -count
            )
        }
        return try unixStreamListeners(among: firstDescriptor..<(firstDescriptor + count))
    }

    /// The descriptors in `range` that are listening `AF_UNIX` stream sockets.
    public static func unixStreamListeners(among range: Range<Int32>) throws(SystemdError) -> [Int32] {
        var listeners: [Int32] = []
        for descriptor in range {
            let result = sd_is_socket_unix(descriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0)
            if result < 0 {
                throw SystemdError(
                    code: .listenFDsFailed,
                    message: "could not inspect inherited descriptor \(descriptor)",
                    errno: -result
                )
            }
            if result > 0 {
                listeners.append(descriptor)
            }
        }
        return listeners
    }
}
