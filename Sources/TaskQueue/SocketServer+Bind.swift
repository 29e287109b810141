import Glibc

/// Making the socket file: bound at its path, its mode set (never through a link), a stale one
/// replaced, and what only the operator can repair said so.
extension SocketServer {
    /// A failed system call on a socket's path: one whose cause the operator must repair (no
    /// such directory, a part of the path not a directory, a read-only file system, no access) is
    /// `socketPathUnusable`, anything else (a race for the name, no memory) stays as it is.
    static func operatorRepair(_ error: TaskQueueError) -> TaskQueueError {
        guard error.code == .io, let number = error.errno else { return error }
        let reason: String
        switch number {
        case ENOENT: reason = "its directory does not exist"
        case ENOTDIR: reason = "a part of the path is not a directory"
        case EROFS:
            reason = "its directory is on a file system the delegate sees read-only ("
                + SandboxHint.readOnly(outside: "/run/secrets-delegate") + ")"
        case EACCES, EPERM:
            reason = "the delegate (uid \(geteuid())) may not reach its directory or create a file in it "
                + "(\(SandboxHint.hiddenHomes))"
        default: return error
        }
        return TaskQueueError(
            code: .socketPathUnusable, message: "cannot be bound: \(reason)", path: error.path, errno: number)
    }

    /// Whether no other user can replace an entry in `path`'s directory, or the directory
    /// itself: that directory (its links resolved) and every one above it belong to this
    /// process's user or root, and no group or other may write them, or they are sticky (`/tmp`:
    /// others may add names, never rename or remove this process's).
    static func onlyTheOwnerReplaces(inDirectoryOf path: String) -> Bool {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        guard let resolved = realpath(directory, nil) else { return false }
        var current = String(cString: resolved)
        free(resolved)
        while true {
            guard let info = try? FileIO.lstat(current), info.st_mode & S_IFMT == S_IFDIR,
                info.st_uid == geteuid() || info.st_uid == 0,
                info.st_mode & 0o022 == 0 || info.st_mode & S_ISVTX != 0
            else { return false }
            guard current != "/", let last = current.lastIndex(of: "/") else { return true }
            current = last == current.startIndex ? "/" : String(current[..<last])
        }
    }

    /// A failed `bind(2)` (see ``operatorRepair(_:)``).
    static func bindFailure(path: String, errno number: Int32) -> TaskQueueError {
        operatorRepair(.system("bind", path: path, errno: number))
    }

    /// Binds and listens on `path`, replacing a stale socket file but never a live server or a
    /// non-socket file.
    ///
    /// - Parameters:
    ///   - afterBind: runs between `bind(2)` and the mode's change; tests put something else at
    ///     the path there.
    ///   - changeMode: `fchmodat(2)` never through a link; tests make it fail as glibc does
    ///     without `/proc`.
    static func bind(
        path: String, mode: mode_t, afterBind: () -> Void = {},
        changeMode: (String, mode_t) -> Int32 = { fchmodat(AT_FDCWD, $0, $1, AT_SYMLINK_NOFOLLOW) }
    ) throws(TaskQueueError) -> Int32 {
        let existing: stat?
        do { existing = try FileIO.lstat(path) } catch { throw operatorRepair(error) }
        if let info = existing {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw TaskQueueError(
                    code: .socketPathUnusable, message: "exists and is not a socket (it is left alone)", path: path)
            }
            // Non-blocking: a server that listens but does not accept (hung, its backlog full)
            // would hold a blocking connect, and the start with it, for good. A Unix socket's
            // connect ends at once either way: EAGAIN means a full backlog, so a live server.
            let probe = try UnixSocketAddress.makeSocket(nonBlocking: true)
            defer { FileIO.close(probe) }
            do throws(TaskQueueError) {
                try UnixSocketAddress.connect(probe, to: path)
                throw TaskQueueError(code: .addressInUse, message: "another server is listening", path: path)
            } catch where error.errno == EAGAIN {
                throw TaskQueueError(
                    code: .addressInUse, message: "another server is listening (and accepts no connections)",
                    path: path)
            } catch where error.errno == ECONNREFUSED {
                // Nobody listens: the file is stale. (Any other failure, say EACCES, may hide a
                // live server, whose socket must not be removed.)
                do { try FileIO.unlink(path) } catch { throw operatorRepair(error) }
            } catch where error.errno == EACCES || error.errno == EPERM {
                // Another user's socket (root's, left by a tool or a server that died): whether a
                // server listens cannot be told, so it stays, and the operator must act; a
                // restart would find it again.
                throw TaskQueueError(
                    code: .socketPathUnusable,
                    message: "a socket the delegate (uid \(geteuid())) may not connect to is there (another user's, "
                        + "such as root's left behind by a tool or a server that died); it is left alone: remove it, "
                        + "or start its socket unit",
                    path: path, errno: error.errno)
            }
        }
        let fd = try UnixSocketAddress.makeSocket(nonBlocking: true)
        // The socket file the bind made, removed again if what follows fails: else a socket
        // nobody listens on would stay at the path (and come back at every start that fails so).
        var made: BoundSocketFile?
        do throws(TaskQueueError) {
            let bound = try UnixSocketAddress.withAddress(path) { address, length in Glibc.bind(fd, address, length) }
            if bound != 0 { throw Self.bindFailure(path: path, errno: errno) }
            made = try? BoundSocketFile(path: path)
            afterBind()
            // chmod before listen: until listen(2) nobody can connect, so the mode is never too open.
            // Never through a symbolic link: one put at the path since the bind (its directory
            // writable by another user) would give the delegate's mode to a file of its own.
            if FileIO.retrying({ changeMode(path, mode) }) != 0 {
                let number = errno
                guard number == EOPNOTSUPP else { throw TaskQueueError.system("chmod", path: path, errno: number) }
                // glibc answers so for a symbolic link, and for any file where it cannot change a
                // mode without following links (no /proc, a chroot): then a socket still at the
                // path gets its mode by name, if nobody else can put a link there meanwhile.
                let kind = (try? FileIO.lstat(path)).map { $0.st_mode & S_IFMT }
                guard kind == S_IFSOCK else {
                    throw TaskQueueError(
                        code: .socketPathUnusable,
                        message: "was replaced by \(kind == S_IFLNK ? "a symbolic link" : "something else") as the "
                            + "socket was made (someone else may write its directory: keep the socket in a directory "
                            + "only the delegate writes); nothing was changed",
                        path: path, errno: number)
                }
                guard Self.onlyTheOwnerReplaces(inDirectoryOf: path) else {
                    throw TaskQueueError(
                        code: .socketPathUnusable,
                        message: "cannot be given its mode without following a link (no /proc) in a directory others "
                            + "may write: keep the socket in a directory only the delegate writes, or mount /proc",
                        path: path, errno: number)
                }
                if FileIO.retrying({ chmod(path, mode) }) != 0 {
                    throw TaskQueueError.system("chmod", path: path, errno: errno)
                }
            }
            if Glibc.listen(fd, 512) != 0 { throw TaskQueueError.system("listen", path: path, errno: errno) }
        } catch {
            FileIO.close(fd)
            made?.removeIfOurs()  // only the very socket bound: never what replaced it
            throw error
        }
        return fd
    }
}
