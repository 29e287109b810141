/// A failure talking to systemd or journald through libsystemd.
///
/// libsystemd reports failures as negative `errno` values; this keeps the number (as `errno`)
/// next to a message that says what was being attempted.
public struct SystemdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// `sd_notify` could not deliver a message to `$NOTIFY_SOCKET`.
        case notifyFailed
        /// `sd_listen_fds` or `sd_is_socket_unix` failed on the inherited descriptors.
        case listenFDsFailed
        /// `sd_journal_sendv` could not write a record.
        case journalSendFailed
    }

    public var code: Code
    public var message: String
    /// The `errno` value behind the failure (libsystemd's negative return, made positive).
    public var errno: Int32?

    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        if let errno {
            return "\(code.rawValue): \(message) (errno \(errno))"
        }
        return "\(code.rawValue): \(message)"
    }
}
