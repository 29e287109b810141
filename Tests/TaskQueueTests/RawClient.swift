import Foundation
import Glibc
import Testing

@testable import TaskQueue

/// A client that writes exactly the bytes it is given (no newline added) and can half-close,
/// non-blocking, for tests of framing and of what the server does to a connection.
final class RawClient: @unchecked Sendable {  // one thread at a time
    let fd: Int32

    /// - Parameter abstractName: binds the client to `\0<abstractName>` before connecting, as
    ///   systemd's credential helper does.
    init(path: String, boundTo abstractName: String? = nil) throws {
        fd = try UnixSocketAddress.makeSocket(nonBlocking: false)
        do {
            if let abstractName { try Self.bind(fd, abstract: abstractName) }
            try UnixSocketAddress.connect(fd, to: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private var open = true

    deinit { close() }

    /// Closes the connection now (else at deinit).
    func close() {
        guard open else { return }
        open = false
        Glibc.close(fd)
    }

    private static func bind(_ fd: Int32, abstract name: String) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = [0] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        if result != 0 { throw TaskQueueError.system("bind", path: nil, errno: errno) }
    }

    /// Writes `text` whole, or returns how many bytes the socket took before it would block.
    @discardableResult
    func write(_ text: String, blocking: Bool = true) -> Int {
        let bytes = Array(text.utf8)
        var offset = 0
        let flags = Int32(MSG_NOSIGNAL) | (blocking ? 0 : Int32(MSG_DONTWAIT))
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, flags)
            }
            if sent < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += sent
        }
        return offset
    }

    /// Tells the server nothing more will be sent.
    func finishSending() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// What has arrived, waiting up to `timeout` for something ("" if nothing came).
    func readSome(timeout: Duration = .milliseconds(100)) -> String {
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&pollFD, 1, milliseconds) > 0 else { return "" }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? String(decoding: chunk[0..<count], as: UTF8.self) : ""
    }

    /// Everything received until the server closes the connection (or `timeout` passes: then
    /// what arrived so far, followed by `<timeout>`).
    func readUntilClosed(timeout: Duration = .seconds(90)) -> String {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return String(decoding: received, as: UTF8.self) + "<timeout>" }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(remaining.components.seconds * 1000 + 1)
            if poll(&pollFD, 1, milliseconds) <= 0 { continue }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return String(decoding: received, as: UTF8.self) }
            received.append(contentsOf: chunk[0..<count])
        }
    }
}
