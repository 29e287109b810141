import Glibc
import LineSocket

/// Writing all of a buffer to a file descriptor (stdout, stderr), as far as the descriptor
/// takes it: both binaries write `get`'s value with it, so a failed write ends both the same way.
public enum FileDescriptorWriter {
    /// Writes `bytes` to `fd`, retrying after EINTR and partial writes, and waiting for room
    /// when `fd` is non-blocking and full (a pipe another process set `O_NONBLOCK` on: a full
    /// pipe is no failure, and a value cut there would leave part of it printed). Nil when all
    /// was written, else the `errno` of the write that failed.
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
            if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard SystemCall.retrying({ Int(poll(&ready, 1, -1)) }) >= 0 else { return errno }
                continue
            }
            guard written >= 0 else { return errno }
            offset += written
        }
        return nil
    }

    /// The line printed to stderr when stdout refused `what` (nil: the command's output).
    public static func failureMessage(_ number: Int32, what: String? = "the value") -> String {
        "secrets-delegate: cannot write \(what.map { $0 + " " } ?? "")to standard output: \(String(cString: strerror(number)))"
    }

    /// A command's end, as both binaries write it: `output` to stdout, then to stderr the
    /// `errorOutput` line (if any) and, when stdout refused the output, ``failureMessage(_:what:)``;
    /// the exit status, 74 in that case (the output may be the only copy of what it holds).
    /// Written to a regular file (a redirection), the output counts as written once it is synced
    /// (``landed(_:sync:)``).
    /// - Parameters:
    ///   - fd: stdout; tests write elsewhere.
    ///   - sync: `fdatasync(2)`; tests make it fail.
    public static func emit(
        output: [UInt8], errorOutput: String, status: Int32, what: String?, fd: Int32 = 1,
        sync: (Int32) -> Int32 = { fdatasync($0) }
    ) -> Int32 {
        var errorLines = errorOutput.isEmpty ? [] : [errorOutput]
        var status = status
        if !output.isEmpty, let number = writeAll(fd, output) ?? landed(fd, sync: sync) {
            errorLines.append(failureMessage(number, what: what))
            status = ExitStatus.ioError
        }
        if !errorLines.isEmpty { writeAll(2, Array((errorLines.joined(separator: "\n") + "\n").utf8)) }
        return status
    }

    /// Nil when what was written to `fd` reached its file, else the `errno` that says it did not.
    /// A regular file is synced: a file system that fails its write-back (NFS, a quota, a disk's
    /// I/O error) says so only then, after every write succeeded, and the command would exit 0
    /// (and `submit --wait` delete the only other copy of its result). A terminal or a pipe is
    /// not asked, and a file system that cannot sync (`EINVAL`: procfs, say) is taken at its
    /// word: only a write-back error, `EIO`, `ENOSPC`, `EDQUOT` or `EROFS` (ext4 aborted after
    /// the writes), says the data did not land.
    static func landed(_ fd: Int32, sync: (Int32) -> Int32) -> Int32? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        guard SystemCall.retrying({ sync(fd) }) != 0 else { return nil }
        let number = errno
        return [EIO, ENOSPC, EDQUOT, EROFS].contains(number) ? number : nil
    }
}
