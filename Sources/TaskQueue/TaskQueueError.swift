import Glibc
import LineSocket

/// A failure of the spool or the socket.
///
/// One struct for every failure so callers can switch on `code` without parsing text; the path and
/// `errno` are kept because an operator fixing permissions needs exactly those two facts. Messages
/// never hold file contents (task files may carry secret values).
public struct TaskQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code, e.g. `"IO"`.
        public let rawValue: String

        /// A system call failed (see `errno`).
        public static let io = Code(rawValue: "IO")
        /// A task, result or delegate name is not a single safe file name.
        public static let invalidName = Code(rawValue: "InvalidName")
        /// A task with this id is already waiting in `new/`.
        public static let alreadyExists = Code(rawValue: "AlreadyExists")
        /// An uncollected result with this id is already in `done/`; it is kept, not replaced.
        public static let resultExists = Code(rawValue: "ResultExists")
        /// The name is already claimed in `cur/<delegate>/` (a rerun of the same id is in progress).
        public static let claimConflict = Code(rawValue: "ClaimConflict")
        /// A spool path exists but is not what the layout expects (e.g. a file instead of a directory).
        public static let badLayout = Code(rawValue: "BadLayout")
        /// Waiting for a result or a line took longer than allowed.
        public static let timedOut = Code(rawValue: "TimedOut")
        /// Data is larger than the configured bound.
        public static let tooLarge = Code(rawValue: "TooLarge")
        /// A live server already listens on the socket path.
        public static let addressInUse = Code(rawValue: "AddressInUse")
        /// The socket path is too long or otherwise unusable.
        public static let invalidAddress = Code(rawValue: "InvalidAddress")
        /// A socket the delegate binds itself cannot be made at its path for a reason only the
        /// operator can repair (the directory missing, read-only or not writable; a file there
        /// that is not a socket): restarting does not help.
        public static let socketPathUnusable = Code(rawValue: "SocketPathUnusable")
        /// This delegate's claims directory (`cur/<delegate>/`) was removed while it ran: no claim
        /// can succeed until the delegate starts again, which makes it.
        public static let claimsRemoved = Code(rawValue: "ClaimsRemoved")
        /// The connection is closed.
        public static let closed = Code(rawValue: "Closed")
        /// The operation was cancelled by the caller.
        public static let cancelled = Code(rawValue: "Cancelled")
        /// The task is in `new/` and will run, but `new/` could not be synced: a crash of the host
        /// before its file system writes the entry back may lose it. Submitting it again would
        /// find it queued.
        public static let queuedNotDurable = Code(rawValue: "QueuedNotDurable")

        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation (never file contents).
    public var message: String
    /// The file or socket path involved, if any.
    public var path: String?
    /// The `errno` of the failed system call, if any.
    public var errno: Int32?

    public init(code: Code, message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    public var description: String {
        LineSocketError.describe(code: code.rawValue, message: message, path: path, errno: errno)
    }

    /// `errno N: <its text>`, for a message that quotes another error's cause; `no errno` without one.
    var errnoText: String {
        errno.map(LineSocketError.errnoText) ?? "no errno"
    }

    /// The error for a failed system call, reading `errno` at the call site.
    static func system(_ call: String, path: String?, errno number: Int32) -> TaskQueueError {
        TaskQueueError(code: .io, message: "\(call) failed", path: path, errno: number)
    }
}
