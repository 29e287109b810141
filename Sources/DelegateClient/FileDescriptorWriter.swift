import Glibc
import LineSocket

/// Writing all of a buffer to a file descriptor (stdout, stderr), as far as the descriptor
/// takes it: both binaries write `get`'s value with it, so a failed write ends both the same way.
public enum FileDescriptorWriter {
    /// Writes `bytes` to `fd`, retrying after EINTR and partial writes. Nil when all was
    /// written, else the `errno` of the write that failed.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// ``writeAll(_:_:)`` from memory the caller holds (no copy of what may be a secret).
    @discardableResult
    public static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < raw.count {
            let written = SystemCall.retrying { write(fd, raw.baseAddress! + offset, raw.count - offset) }
            guard written >= 0 else { return errno }
            offset += written
        }
        return nil
    }

    /// The one line `get` prints to stderr when its value could not be written to stdout.
    public static func failureMessage(_ number: Int32) -> String {
        "secrets-delegate: cannot write the value to standard output: \(String(cString: strerror(number)))"
    }
}
