import Glibc

/// What a client says when the delegate's socket cannot be reached: the path, the cause, and
/// what to do for the causes an operator meets (no delegate running, no permission, a path that
/// is no socket), and the status to exit with.
public enum UnreachableSocket {
    /// `the delegate's socket PATH cannot be reached: <cause>`, and a hint for `errno`; an empty
    /// path (`--socket ""`) shown as `""`, not as a double space.
    public static func message(path: String, cause: any Error, errno number: Int32?) -> String {
        "the delegate's socket \(path.isEmpty ? "\"\"" : path) cannot be reached: \(cause)\(hint(errno: number, path: path))"
    }

    /// 64 for a path no socket can have (empty, longer than `sockaddr_un` holds, a NUL byte):
    /// the caller's to fix, and no retry would reach a delegate; else 69, the delegate could not
    /// be asked (not running, not reachable), which a script may try again.
    public static func status(invalidAddress: Bool) -> Int32 {
        invalidAddress ? ExitStatus.usage : ExitStatus.unavailable
    }

    /// `; ...` what to do, for the errors of `connect(2)` that have a next step; "" otherwise.
    /// With the `path`, a refused connection to something that is no socket says so.
    public static func hint(errno number: Int32?, path: String? = nil) -> String {
        // connect(2) refuses a file or a directory at the path (the spool given as the socket,
        // say) as a dead socket, ECONNREFUSED, or, one the caller may not write, as a socket it
        // may not use, EACCES: nothing to start and no group to join, a path to mend.
        if [ECONNREFUSED, EACCES, EPERM].contains(number), let path, let kind = kind(of: path), kind != S_IFSOCK {
            return "; it is \(kind == S_IFDIR ? "a directory" : "a file"), not a socket: --socket, or [queue] "
                + "socket_path, names the delegate's socket (/run/secrets-delegate/delegate.sock when packaged)"
        }
        switch number {
        case ENOENT?:
            return "; no socket is there: the delegate is not running (systemctl start secrets-delegate), "
                + "or it listens elsewhere (--socket, or [queue] socket_path)"
        case ECONNREFUSED?:
            return "; nothing listens on it: the delegate is not running (systemctl start secrets-delegate), "
                + "or it was killed and left its socket"
        case EACCES?, EPERM?:
            return "; this user may not connect to it: the packaged socket is for the secrets-delegate group "
                + "(add the user to it, then log in again)"
        default:
            return ""
        }
    }

    /// The file type at `path` (`S_IFSOCK`, `S_IFDIR`, ...), following links as connect(2) does;
    /// nil if it cannot be looked at.
    private static func kind(of path: String) -> mode_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
    }
}
