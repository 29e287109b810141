import Glibc

/// A failure of a ``LineSocketClient``: what went wrong, the socket path and the `errno`.
///
/// Messages never hold what was sent or received (lines can carry secret values).
public struct LineSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A system call failed (see `errno`).
        case io = "IO"
        /// The socket path is empty, too long for `sockaddr_un`, or holds a NUL byte.
        case invalidAddress = "InvalidAddress"
        /// No complete line arrived in time.
        case timedOut = "TimedOut"
        /// A line is longer than the client accepts.
        case tooLarge = "TooLarge"
        /// The client was closed.
        case closed = "Closed"
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var errno: Int32?

    public init(code: Code, message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    public var description: String { Self.describe(code: code.rawValue, message: message, path: path, errno: errno) }

    /// `Code: message (path: P) [errno N: text]`, the form `TaskQueueError` shares.
    package static func describe(code: String, message: String, path: String?, errno: Int32?) -> String {
        var text = "\(code): \(message)"
        if let path { text += " (path: \(path))" }
        if let errno { text += " [\(errnoText(errno))]" }
        return text
    }

    /// `errno N: <its text>`, as both error types write a system call's cause.
    package static func errnoText(_ number: Int32) -> String {
        "errno \(number): \(String(cString: strerror(number)))"
    }

    static func system(_ call: String, path: String?, errno number: Int32) -> LineSocketError {
        LineSocketError(code: .io, message: "\(call) failed", path: path, errno: number)
    }
}
