import Glibc

/// A blocking client of a Unix stream socket that speaks newline-delimited lines: the
/// delegate's socket, for the command line (`get`, `exec`, `submit --socket`, `status`).
///
/// It needs nothing but the C library, so the small `secrets-delegate` front binary can serve
/// `get` with it (docs/INTERFACE.md section 10). Not `Sendable`: one thread uses it at a time.
public final class LineSocketClient {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var scanFrom = 0
    private var atEOF = false
    /// The last line ``readLine(timeout:)`` returned had no newline: the server closed the
    /// connection in its middle (a delegate ends every answer with one), so it may be cut short.
    public private(set) var lastLineWasCutShort = false
    /// The longest line ``readLine(timeout:)`` accepts (results can exceed the 1 MiB task limit).
    public let maximumLineBytes: Int

    private init(fd: Int32, maximumLineBytes: Int) {
        self.fd = fd
        self.maximumLineBytes = maximumLineBytes
    }

    deinit {
        close()
    }

    /// Connects to the socket at `path` (a close-on-exec, blocking socket).
    ///
    /// `timeout` bounds the wait for a server whose listen backlog is full (it accepts no
    /// connection), and each later `send` to one that reads nothing: the socket's `SO_SNDTIMEO`,
    /// which a Unix socket's `connect` honours too. Either ends in ``LineSocketError/Code/timedOut``.
    public static func connect(
        path: String, maximumLineBytes: Int = 64 << 20, timeout: Duration = .seconds(120)
    ) throws(LineSocketError) -> LineSocketClient {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", path: nil, errno: errno) }
        let (seconds, attoseconds) = max(timeout, .microseconds(1)).components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        guard setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            let number = errno
            _ = Glibc.close(fd)
            throw .system("setsockopt", path: nil, errno: number)
        }
        let result = UnixSocketPath.withAddress(path) { address, length in
            SystemCall.retrying { Glibc.connect(fd, address, length) }
        }
        guard let result, result == 0 else {
            let number = errno
            _ = Glibc.close(fd)
            guard result != nil else { throw UnixSocketPath.invalid(path) }
            if number == EAGAIN {
                throw LineSocketError(code: .timedOut, message: "no connection accepted within \(timeout)", path: path)
            }
            throw .system("connect", path: path, errno: number)
        }
        return LineSocketClient(fd: fd, maximumLineBytes: maximumLineBytes)
    }

    /// Sends `line` and a newline (blocking until written).
    public func send(_ line: some Collection<UInt8>) throws(LineSocketError) {
        guard fd >= 0 else { throw LineSocketError(code: .closed, message: "the client is closed") }
        var framed = [UInt8]()
        framed.reserveCapacity(line.count + 1)
        framed.append(contentsOf: line)
        framed.append(UInt8(ascii: "\n"))
        let fd = self.fd
        let failure: Int32? = framed.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = SystemCall.retrying { Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) }
                if sent < 0 { return errno }
                offset += sent
            }
            return nil
        }
        if let failure {
            // EAGAIN: SO_SNDTIMEO passed with the server reading nothing.
            if failure == EAGAIN { throw LineSocketError(code: .timedOut, message: "the server read nothing in time") }
            throw .system("send", path: nil, errno: failure)
        }
    }

    /// Tells the server nothing more will be sent (answers to sent lines still arrive).
    public func finishSending() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    /// The next line (without its newline), or nil when the server closed the connection. A last
    /// line without a newline before the close is returned as a line (``lastLineWasCutShort``).
    ///
    /// - Throws: ``LineSocketError/Code/timedOut`` when no complete line arrives within `timeout`;
    ///   ``LineSocketError/Code/tooLarge`` for a line over ``maximumLineBytes``.
    public func readLine(timeout: Duration) throws(LineSocketError) -> [UInt8]? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                // Over the limit even when its newline came in the same read.
                guard newline <= maximumLineBytes else {
                    throw LineSocketError(code: .tooLarge, message: "line exceeds \(maximumLineBytes) bytes")
                }
                let line = Array(buffer[0..<newline])
                lastLineWasCutShort = false
                buffer.removeFirst(newline + 1)
                scanFrom = 0
                return line
            }
            scanFrom = buffer.count
            if buffer.count > maximumLineBytes {
                throw LineSocketError(code: .tooLarge, message: "line exceeds \(maximumLineBytes) bytes")
            }
            if atEOF || fd < 0 {
                if buffer.isEmpty { return nil }
                lastLineWasCutShort = true
                defer {
                    buffer = []
                    scanFrom = 0
                }
                return buffer
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { throw LineSocketError(code: .timedOut, message: "no line within \(timeout)") }
            let milliseconds = remaining.components.seconds * 1000
                + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = SystemCall.retrying { poll(&pollFD, 1, Int32(clamping: milliseconds)) }
            if ready < 0 { throw .system("poll", path: nil, errno: errno) }
            if ready == 0 { continue }
            try receive()
        }
    }

    /// Closes the connection.
    public func close() {
        if fd >= 0 {
            // close(2) is not retried on EINTR on Linux: the descriptor is gone either way.
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Appends what one `read` gives to the buffer; a reset or end of stream ends the stream.
    private func receive() throws(LineSocketError) {
        let chunkBytes = 64 * 1024
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunkBytes))
        let fd = self.fd
        let count = buffer.withUnsafeMutableBytes { raw in
            SystemCall.retrying { Glibc.read(fd, raw.baseAddress! + start, chunkBytes) }
        }
        let number = errno
        buffer.removeLast(chunkBytes - max(count, 0))
        if count < 0 {
            guard number == ECONNRESET else { throw .system("read", path: nil, errno: number) }
            atEOF = true
        } else if count == 0 {
            atEOF = true
        }
    }
}
