import Glibc

/// One directory of the spool layout, checked and, when missing, created without privileges.
///
/// Under the packaged unit the layout comes from systemd-tmpfiles and `StateDirectory=`, and the
/// unit forbids what the daemon does not need: it may not set the setgid bit (`RestrictSUIDSGID=`)
/// and sees most of the file system read-only (`ProtectSystem=strict`). So an existing directory
/// is only checked (usable is enough; an unexpected mode is a notice), and a missing one is created
/// with plain permission bits first, the setgid bit being a best effort on top.
struct SpoolDirectory {
    /// The directory.
    let path: String
    /// The mode the layout expects, setgid bit included where producers share the directory.
    let mode: mode_t

    /// Makes sure the directory exists and this process can use it.
    ///
    /// - Returns: notices worth a warning (an unexpected mode, a setgid bit that could not be set).
    /// - Throws: ``TaskQueueError/Code/badLayout`` saying what is wrong and what the daemon needs.
    func ensure() throws(TaskQueueError) -> [String] {
        let found: stat?
        do throws(TaskQueueError) {
            found = try FileIO.lstat(path)
        } catch  where error.errno == EACCES || error.errno == EPERM {
            throw TaskQueueError(
                code: .badLayout,
                message:
                    "cannot be reached: the delegate (uid \(geteuid()), gid \(getegid())) may not search a directory "
                    + "above it (\(SandboxHint.hiddenHomes)): keep the spool elsewhere (/var/lib/secrets-delegate, "
                    + "or a path given in ReadWritePaths=)",
                path: path, errno: error.errno)
        }
        if let info = found { return try check(info) }
        return try create()
    }

    private func check(_ info: stat) throws(TaskQueueError) -> [String] {
        if info.st_mode & S_IFMT == S_IFLNK {
            // Not followed (a link in the spool could lead a producer's names anywhere); nor to be
            // removed, as the message for a file says: the spool it leads to holds the tasks.
            throw TaskQueueError(
                code: .badLayout,
                message:
                    "is a symbolic link, which the delegate does not follow: for spool_dir itself, set [queue] "
                    + "spool_dir to the directory it leads to (and that path in ReadWritePaths= of a drop-in); a directory "
                    + "in the spool must be one (move what the link leads to into its place); do not just remove the link",
                path: path)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw TaskQueueError(
                code: .badLayout,
                message:
                    "exists but is not a directory; the spool needs a directory here (move the file away, then run "
                    + "`systemd-tmpfiles --create secrets-delegate.conf` or restart the delegate)",
                path: path)
        }
        try requireAccess(owner: info.st_uid, group: info.st_gid, mode: info.st_mode & 0o7777)
        let actual = info.st_mode & 0o7777
        if actual & 0o002 != 0 {
            return [
                "spool directory is world-writable (mode \(Self.octal(actual)), expected \(Self.octal(mode))): "
                    + "anyone on the host can add or remove tasks and results"
            ]
        }
        guard actual != mode else { return [] }
        var notice = "spool directory has mode \(Self.octal(actual)), expected \(Self.octal(mode))"
        if mode & S_ISGID != 0 && actual & S_ISGID == 0 {
            notice +=
                "; without the setgid bit, files producers write keep their own group and the delegate may not "
                + "be able to read them (`systemd-tmpfiles --create secrets-delegate.conf` restores it)"
        }
        return [notice]
    }

    /// Read, write and search access for this process, or an error that says who lacks what.
    private func requireAccess(owner: uid_t, group: gid_t, mode: mode_t) throws(TaskQueueError) {
        if FileIO.retrying({ access(path, R_OK | W_OK | X_OK) }) == 0 { return }
        let number = errno
        switch number {
        case EROFS:
            throw Self.readOnly(path)
        case EACCES, EPERM:
            throw TaskQueueError(
                code: .badLayout,
                message:
                    "the delegate (uid \(geteuid()), gid \(getegid())) needs read, write and search access, but the "
                    + "directory belongs to uid \(owner), gid \(group) with mode \(Self.octal(mode)); give it to the "
                    + "delegate's user or group (`systemd-tmpfiles --create secrets-delegate.conf` does for the packaged "
                    + "layout)",
                path: path, errno: number)
        default:
            throw .system("access", path: path, errno: number)
        }
    }

    private func create() throws(TaskQueueError) -> [String] {
        let plain = mode & 0o777
        if FileIO.retrying({ mkdir(path, plain) }) != 0 {
            let number = errno
            switch number {
            case EEXIST:
                // Created by another delegate in the meantime.
                guard let info = try FileIO.lstat(path) else { throw .system("mkdir", path: path, errno: number) }
                return try check(info)
            case EROFS:
                throw Self.readOnly(path)
            case ENOENT:
                throw TaskQueueError(
                    code: .badLayout, message: "cannot be created: its parent directory does not exist", path: path,
                    errno: number)
            case EACCES, EPERM:
                throw TaskQueueError(
                    code: .badLayout,
                    message:
                        "is missing and the delegate (uid \(geteuid()), gid \(getegid())) may not create it: it needs "
                        + "write access to the parent directory, or the directory made for it "
                        + "(`systemd-tmpfiles --create secrets-delegate.conf` for the packaged layout)",
                    path: path, errno: number)
            default:
                throw .system("mkdir", path: path, errno: number)
            }
        }
        // mkdir applied the umask (UMask=0027 under the unit drops group write).
        if FileIO.retrying({ chmod(path, plain) }) != 0 { throw .system("chmod", path: path, errno: errno) }
        guard mode != plain else { return [] }
        if FileIO.retrying({ chmod(path, mode) }) == 0 { return [] }
        let number = errno
        guard number == EPERM else { throw .system("chmod", path: path, errno: number) }
        return [
            "created the missing spool directory with mode \(Self.octal(plain)): this process may not set the setgid "
                + "bit (RestrictSUIDSGID=), so files producers write keep their own group; "
                + "`systemd-tmpfiles --create secrets-delegate.conf` creates it as \(Self.octal(mode))"
        ]
    }

    private static func readOnly(_ path: String) -> TaskQueueError {
        TaskQueueError(
            code: .badLayout,
            message: "is on a file system the delegate sees read-only; "
                + SandboxHint.readOnly(outside: "/var/lib/secrets-delegate"),
            path: path, errno: EROFS)
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
