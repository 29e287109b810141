import Glibc

/// What a client says when the delegate's socket cannot be reached: the path, the cause, and
/// what to do for the causes an operator meets (no delegate running, no permission).
public enum UnreachableSocket {
    /// `the delegate's socket PATH cannot be reached: <cause>`, and a hint for `errno`.
    public static func message(path: String, cause: any Error, errno number: Int32?) -> String {
        "the delegate's socket \(path) cannot be reached: \(cause)\(hint(errno: number))"
    }

    /// `; ...` what to do, for the errors of `connect(2)` that have a next step; "" otherwise.
    public static func hint(errno number: Int32?) -> String {
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
}
