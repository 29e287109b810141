#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// Loopback helpers shared by test targets.
public enum LoopbackPorts {
    /// A 127.0.0.1 port that refuses connections for as long as this object lives: bound, never
    /// listened on, so no other test can take it meanwhile. Call `close()` when done.
    public final class ClosedPort: Sendable {
        public let port: Int
        private let fd: Int32

        public init?() {
            guard let (fd, port) = LoopbackPorts.boundSocket(listening: false) else { return nil }
            self.fd = fd
            self.port = port
        }

        public func close() {
            Glibc.close(fd)
        }
    }

    /// A 127.0.0.1 port that takes connections (the kernel's backlog) and never says a word:
    /// listened on, never accepted, for as long as this object lives. A TLS client's handshake
    /// waits there until its timeout. Call `close()` when done.
    public final class SilentPort: Sendable {
        public let port: Int
        private let fd: Int32

        public init?() {
            guard let (fd, port) = LoopbackPorts.boundSocket(listening: true) else { return nil }
            self.fd = fd
            self.port = port
        }

        public func close() {
            Glibc.close(fd)
        }
    }

    /// A 127.0.0.1 port nothing listens on right now: bound to port 0, then closed. Connecting
    /// to it is refused (another test could grab it meanwhile, which is unlikely but possible).
    public static func unusedPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return bindToAnyPort(fd)
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks (listened on if `listening`).
    static func boundSocket(listening: Bool) -> (fd: Int32, port: Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        guard let port = bindToAnyPort(fd), !listening || listen(fd, 16) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return (fd, port)
    }

    /// Binds `fd` to 127.0.0.1 on a port the kernel picks, and returns the port.
    static func bindToAnyPort(_ fd: Int32) -> Int? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}

/// Facts about the current process, for tests that bound resource use.
public enum ProcessInspection {
    /// The number of threads in this process (`Threads:` in /proc/self/status).
    public static func threadCount() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("Threads:") {
                return Int(text.dropFirst("Threads:".count).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        return nil
    }

    /// The number of this process's threads named `name` (`/proc/self/task/*/comm`). A thread
    /// starts with its creator's name, so this counts a named thread and every thread it started.
    public static func threadCount(named name: String) -> Int? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        return tasks.count { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .newlines) == name
        }
    }
}
