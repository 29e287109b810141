import Glibc

/// A `sockaddr_un` for a path, with the length check the kernel would otherwise apply by
/// silently truncating.
public enum UnixSocketPath {
    /// The longest path a `sockaddr_un` holds with its terminating NUL (107 bytes on Linux).
    public static let maximumBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Calls `body` with the address of `path` and its length; nil (and no call) when `path` is
    /// empty, longer than ``maximumBytes`` or holds a NUL byte.
    public static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumBytes, !bytes.contains(0) else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// The error for a path ``withAddress(_:_:)`` refuses.
    public static func invalid(_ path: String) -> LineSocketError {
        LineSocketError(code: .invalidAddress, message: "a Unix socket path must be 1-\(maximumBytes) bytes", path: path)
    }
}
