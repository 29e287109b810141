import Foundation
import Glibc

/// A blocking client of the delegate's socket, for the command line (`submit --socket`, `status`).
///
/// Not `Sendable`: one thread uses it at a time.
public final class SocketClient {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var scanFrom = 0
    private var atEOF = false
    /// The longest line ``readLine(timeout:)`` accepts (results can exceed the 1 MiB task limit).
    public let maximumLineBytes: Int

    private init(fd: Int32, maximumLineBytes: Int) {
        self.fd = fd
        self.maximumLineBytes = maximumLineBytes
    }

    deinit {
        close()
    }

    /// Connects to the socket at `path`.
    public static func connect(path: String, maximumLineBytes: Int = 64 << 20) throws(TaskQueueError) -> SocketClient {
        let fd = try UnixSocketAddress.makeSocket(nonBlocking: false)
        do {
            try UnixSocketAddress.connect(fd, to: path)
        } catch {
            FileIO.close(fd)
            throw error
        }
        return SocketClient(fd: fd, maximumLineBytes: maximumLineBytes)
    }

    /// Sends `line` and a newline (blocking until written).
    public func send(_ line: Data) throws(TaskQueueError) {
        guard fd >= 0 else { throw TaskQueueError(code: .closed, message: "the client is closed") }
        var framed = line
        framed.append(UInt8(ascii: "\n"))
        var failure: Int32? = nil
        framed.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = FileIO.retrying {
                    Glibc.send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
                if sent < 0 {
                    failure = errno
                    return
                }
                offset += sent
            }
        }
        if let failure { throw .system("send", path: nil, errno: failure) }
    }

    /// Tells the server nothing more will be sent (answers to sent lines still arrive).
    public func finishSending() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    /// The next line (without its newline), or nil when the server closed the connection.
    ///
    /// - Throws: ``TaskQueueError/Code/timedOut`` when no complete line arrives within `timeout`;
    ///   ``TaskQueueError/Code/tooLarge`` for a line over ``maximumLineBytes``.
    public func readLine(timeout: Duration) throws(TaskQueueError) -> Data? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[0..<newline])
                buffer.removeFirst(newline + 1)
                scanFrom = 0
                return line
            }
            scanFrom = buffer.count
            if buffer.count > maximumLineBytes {
                throw TaskQueueError(code: .tooLarge, message: "line exceeds \(maximumLineBytes) bytes")
            }
            if atEOF || fd < 0 {
                if buffer.isEmpty { return nil }
                let line = Data(buffer)
                buffer = []
                scanFrom = 0
                return line
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { throw TaskQueueError(code: .timedOut, message: "no line within \(timeout)") }
            let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = FileIO.retrying { poll(&pollFD, 1, Int32(clamping: milliseconds)) }
            if ready < 0 { throw .system("poll", path: nil, errno: errno) }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { raw in FileIO.retrying { Glibc.read(fd, raw.baseAddress, raw.count) } }
            if count < 0 {
                let number = errno
                if number == ECONNRESET {
                    atEOF = true
                    continue
                }
                throw .system("read", path: nil, errno: number)
            }
            if count == 0 { atEOF = true } else { buffer.append(contentsOf: chunk[0..<count]) }
        }
    }

    /// Closes the connection.
    public func close() {
        if fd >= 0 {
            FileIO.close(fd)
            fd = -1
        }
    }
}
