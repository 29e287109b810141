internal import CLinuxShim
internal import Glibc

/// Keeps the secrets in this process's memory out of core dumps and away from debuggers, with
/// `prctl(PR_SET_DUMPABLE, 0)`.
///
/// A process that is not dumpable writes no core file when it crashes (none reaches
/// systemd-coredump either), its `/proc/<pid>/` files (`mem`, `environ`, `maps`, ...) belong to
/// root, and processes of the same user cannot `ptrace` it. The setting is inherited by `fork`
/// and lost on `execve`; the delegate runs no other programs. Systemd cannot set it from a unit
/// file (`LimitCORE=0` stops core files but not `ptrace` or `/proc` access).
public enum CoreDumpProtection {
    /// Makes this process not dumpable. Call it first thing in every subcommand that holds secret
    /// values; it cannot be undone by anything the process later does short of `execve`.
    public static func enable() throws(ProcessSettingError) {
        guard clinuxshim_set_dumpable(0) == 0 else {
            throw ProcessSettingError(
                code: .dumpable, message: "could not make the process non-dumpable", errno: Glibc.errno)
        }
    }

    /// Whether this process is protected: `prctl(PR_GET_DUMPABLE)` says it is not dumpable.
    public static func isEnabled() throws(ProcessSettingError) -> Bool {
        let dumpable = clinuxshim_get_dumpable()
        guard dumpable >= 0 else {
            throw ProcessSettingError(
                code: .dumpable, message: "could not read whether the process is dumpable", errno: Glibc.errno)
        }
        return dumpable == 0
    }
}
