import FoundationEssentials
import LineSocket

/// A blocking client of the delegate's socket, for the command line (`submit --socket`,
/// `status`): ``LineSocketClient`` with `Data` lines and ``TaskQueueError``s.
///
/// Not `Sendable`: one thread uses it at a time.
public final class SocketClient {
    private let lines: LineSocketClient

    private init(lines: LineSocketClient) {
        self.lines = lines
    }

    /// Connects to the socket at `path`; `timeout` bounds the connect and each send
    /// (``LineSocketClient/connect(path:maximumLineBytes:timeout:)``).
    public static func connect(
        path: String, maximumLineBytes: Int = 64 << 20, timeout: Duration = .seconds(120)
    ) throws(TaskQueueError) -> SocketClient {
        do {
            return SocketClient(
                lines: try LineSocketClient.connect(path: path, maximumLineBytes: maximumLineBytes, timeout: timeout))
        } catch {
            throw TaskQueueError(error)
        }
    }

    /// Sends `line` and a newline (blocking until written).
    public func send(_ line: Data) throws(TaskQueueError) {
        do { try lines.send(line) } catch { throw TaskQueueError(error) }
    }

    /// Tells the server nothing more will be sent (answers to sent lines still arrive).
    public func finishSending() {
        lines.finishSending()
    }

    /// The next line (without its newline), or nil when the server closed the connection.
    ///
    /// - Throws: ``TaskQueueError/Code/timedOut`` when no complete line arrives within `timeout`;
    ///   ``TaskQueueError/Code/tooLarge`` for a line over the client's maximum.
    public func readLine(timeout: Duration) throws(TaskQueueError) -> Data? {
        do { return try lines.readLine(timeout: timeout).map { Data($0) } } catch { throw TaskQueueError(error) }
    }

    /// The last line ``readLine(timeout:)`` returned had no newline: the connection closed in its
    /// middle, so it may be cut short (``LineSocketClient/lastLineWasCutShort``).
    public var lastLineWasCutShort: Bool { lines.lastLineWasCutShort }

    /// Closes the connection.
    public func close() {
        lines.close()
    }
}

extension TaskQueueError {
    /// The same failure under the task queue's code of the same name (a switch, so that a code
    /// added or renamed on either side is a compile error, not a code no caller matches).
    init(_ error: LineSocketError) {
        let code: Code
        switch error.code {
        case .io: code = .io
        case .invalidAddress: code = .invalidAddress
        case .timedOut: code = .timedOut
        case .tooLarge: code = .tooLarge
        case .closed: code = .closed
        }
        self.init(code: code, message: error.message, path: error.path, errno: error.errno)
    }
}
