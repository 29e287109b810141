internal import CLinuxShim
internal import Glibc

/// A process's limits on open file descriptors (`RLIMIT_NOFILE`), read and raised with
/// `prlimit(2)`.
///
/// The delegate keeps a descriptor per socket connection, spool file and HTTPS connection in
/// flight. The soft limit is often 1024 (kept low for programs that still use `select(2)`);
/// the delegate uses `poll`/`epoll` only, so it raises its soft limit to the hard limit at
/// start, as a unit's `LimitNOFILE=` would, and works the same outside systemd.
public struct FileDescriptorLimit: Sendable, Equatable, CustomStringConvertible {
    /// The limit the kernel enforces now; a process may raise it up to `hard`.
    public var soft: UInt64
    /// The ceiling; only a privileged process may raise it.
    public var hard: UInt64

    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    /// `RLIM_INFINITY` (all ones, as glibc defines it on 64-bit Linux).
    public static let unlimited = UInt64.max

    public var description: String {
        func text(_ value: UInt64) -> String { value == Self.unlimited ? "unlimited" : String(value) }
        return "\(text(soft))/\(text(hard))"
    }

    /// The limits of process `pid` (0: this process).
    public static func current(process pid: Int32 = 0) throws(ProcessSettingError) -> FileDescriptorLimit {
        var soft: UInt64 = 0
        var hard: UInt64 = 0
        guard clinuxshim_get_nofile(pid, &soft, &hard) == 0 else {
            throw ProcessSettingError(
                code: .fileDescriptorLimit, message: "could not read the open file limit", errno: Glibc.errno)
        }
        return FileDescriptorLimit(soft: soft, hard: hard)
    }

    /// Raises the soft limit of process `pid` (0: this process) to its hard limit, and returns
    /// the limits before and after. Nothing changes when they are already equal.
    @discardableResult
    public static func raiseSoftToHard(
        process pid: Int32 = 0
    ) throws(ProcessSettingError) -> (before: FileDescriptorLimit, after: FileDescriptorLimit) {
        let before = try current(process: pid)
        guard before.soft < before.hard else { return (before, before) }
        guard clinuxshim_set_nofile(pid, before.hard, before.hard) == 0 else {
            throw ProcessSettingError(
                code: .fileDescriptorLimit, message: "could not raise the open file limit to \(before.hard)",
                errno: Glibc.errno)
        }
        return (before, try current(process: pid))
    }
}
