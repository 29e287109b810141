import Foundation
import Glibc
import Synchronization

/// A 127.0.0.1 listener that speaks another protocol: each connection gets `greeting` (an SSH
/// banner by default) as soon as the request arrives, and is closed. For clients that must tell a
/// wrong port from an unreachable one.
public final class LoopbackNotHTTPServer: Sendable {
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Connections answered so far.
    public var connectionsServed: Int { served.load(ordering: .relaxed) }

    private let fd: Int32
    private let served = Atomic<Int>(0)

    public init?(greeting: String = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n") {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        guard let port = LoopbackPorts.bindToAnyPort(fd), listen(fd, 16) == 0 else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
        self.port = port
        let bytes = Array(greeting.utf8)
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return  // closed by stop()
                }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(connection, &buffer, buffer.count)
                // Counted before the answer: a client may fail on its first line, and its test
                // count the connections, before this thread runs again.
                self.served.add(1, ordering: .relaxed)
                _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                Glibc.close(connection)
            }
        }
    }

    /// Stops listening; the accepting thread ends.
    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
