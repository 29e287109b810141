import Glibc

/// The command line's exit statuses (docs/INTERFACE.md section 7; sysexits.h numbering).
public enum ExitStatus {
    public static let success: Int32 = 0
    /// The task failed or was rejected.
    public static let taskFailed: Int32 = 1
    public static let usage: Int32 = 64
    /// The delegate could not be reached (socket, spool, or no result in time).
    public static let unavailable: Int32 = 69
    /// Output or a file could not be written: standard output refused what a command prints
    /// (`get`'s value, a result, `keygen`'s public key), or the system failed to write `keygen`'s
    /// key file or `submit --spool`'s task file (``systemWriteFailures``).
    public static let ioError: Int32 = 74
    /// The `errno`s of a system that failed to write a file (a full disk or quota, an I/O error,
    /// a file size limit, a read-only file system, no memory), not of a path to change: 74 for
    /// `keygen`'s key file and `submit --spool`'s task file.
    public static let systemWriteFailures: Set<Int32> = [ENOSPC, EDQUOT, EIO, EFBIG, EROFS, ENOMEM]
    public static let configuration: Int32 = 78
}
