import Glibc
import Synchronization

/// The claims lock: `cur/<delegate>/` taken for this process at the start, and looked at while it
/// runs (gone, or another directory at its path).
extension Spool {
    /// Takes `cur/<delegate>/` for this process (an exclusive `flock` on the directory and on its
    /// `.lock` file, held until it ends), so that two processes with one delegate name (a
    /// `secrets-delegate run` beside the service, a cloned host) never take each other's claimed
    /// tasks for a dead delegate's and run them again.
    ///
    /// The regular file, opened for writing: on NFS a lock on a directory stays on its host,
    /// while one on a file reaches the server (its lock manager), so that a cloned host sharing
    /// the spool is refused too. The directory as well: what versions before the file locked, so
    /// that one still running (an upgrade that kept it) and this one keep each other out.
    ///
    /// - Parameter lock: `flock(2)`; tests make it fail.
    /// - Throws: ``TaskQueueError/Code/badLayout`` when another process holds it, or when the
    ///   spool's file system takes no locks (NFS without its lock manager): restarting cannot help.
    public func lockClaims(lock: (Int32, Int32) -> Int32 = { flock($0, $1) }) throws(TaskQueueError) {
        guard claimLock.withLock({ $0.isEmpty }) else { return }
        var held: [Int32] = []
        do throws(TaskQueueError) {
            let claims = "cur/\(delegateName)"
            for (path, shown, flags) in [
                (claimDirectory, claims, O_RDONLY | O_DIRECTORY),
                (claimLockPath, claims + "/.lock", O_RDWR | O_CREAT | O_NOFOLLOW),
            ] {
                guard let fd = try FileIO.open(path, flags: flags, mode: 0o600) else {
                    throw .system("open", path: claimDirectory, errno: ENOENT)
                }
                held.append(fd)
                // Its mode set, not left to the umask: one without the owner's write bit would keep
                // a later non-root start from opening it for writing, which NFS's locks need.
                if path == claimLockPath { _ = FileIO.retrying { fchmod(fd, 0o600) } }
                if FileIO.retrying({ lock(fd, LOCK_EX | LOCK_NB) }) != 0 { throw lockRefusal(errno: Glibc.errno, held: shown) }
            }
        } catch {
            for fd in held { FileIO.close(fd) }
            throw error
        }
        claimLock.withLock { $0 = held }
    }

    /// Checks that `cur/<delegate>/` is still the directory ``lockClaims(lock:)`` locked: not
    /// removed, not replaced, not hidden by a file system mounted over the spool after the start
    /// (or uncovered by one unmounted from under it). Claims by path would then go to another
    /// directory, which this process holds no lock on. Does nothing before the claims are locked.
    ///
    /// On NFS the locked directory removed on the server (from this host or another) leaves its
    /// descriptor stale (`ESTALE`): replaced too, since another may stand at the path.
    ///
    /// - Parameter statHeld: `fstat(2)` of the locked directory; tests make it fail.
    /// - Returns: whether it looked (false before the lock).
    /// - Throws: ``TaskQueueError/Code/claimsRemoved`` when it is not (a start takes the spool
    ///   as it then is); a system error when it cannot be looked at.
    @discardableResult
    public func checkClaimsDirectory(
        statHeld: (Int32, UnsafeMutablePointer<stat>) -> Int32 = { fstat($0, $1) }
    ) throws(TaskQueueError) -> Bool {
        guard let locked = claimLock.withLock({ $0.first }) else { return false }
        var held = Glibc.stat()
        if FileIO.retrying({ statHeld(locked, &held) }) != 0 {
            let number = Glibc.errno
            guard number == ESTALE else { throw .system("fstat", path: claimDirectory, errno: number) }
            throw claimsReplaced
        }
        let now: stat?
        do {
            now = try FileIO.lstat(claimDirectory)
        } catch where error.errno == ESTALE {
            throw claimsReplaced
        }
        guard let now else {
            // A file system mounted over the spool (or its cur/) may hold no cur/<delegate>/ at
            // all: that is no removal.
            let parents = [directory, directory + "/cur"]
            let elsewhere = parents.contains { path in
                guard let info = try? FileIO.lstat(path) else { return false }
                return info.st_dev != held.st_dev
            }
            if elsewhere { throw claimsReplaced }
            throw claimsRemoved
        }
        guard now.st_dev == held.st_dev, now.st_ino == held.st_ino else { throw claimsReplaced }
        return true
    }

    /// Another directory (or none, on another file system) is at `cur/<delegate>/`'s path than
    /// the one locked at the start.
    var claimsReplaced: TaskQueueError {
        TaskQueueError(
            code: .claimsRemoved,
            message: "this delegate's claims directory is no longer the one it locked at the start (replaced, or "
                + "a file system mounted over the spool or unmounted from under it); no spool task can be "
                + "claimed until the delegate starts again and takes the spool as it now is",
            path: claimDirectory)
    }

    /// `cur/<delegate>/` is gone (removed while the delegate ran).
    var claimsRemoved: TaskQueueError {
        TaskQueueError(
            code: .claimsRemoved,
            message: "this delegate's claims directory was removed while it ran; no spool task can be claimed "
                + "until the delegate starts again, which makes it",
            path: claimDirectory)
    }

    /// Why ``lockClaims(lock:)``'s `flock` of `held` (the directory, which versions before the
    /// `.lock` file locked, or the file) failed with `number`.
    private func lockRefusal(errno number: Int32, held: String) -> TaskQueueError {
        switch number {
        case EWOULDBLOCK:
            TaskQueueError(
                code: .badLayout,
                message: "another process runs as delegate \(delegateName) on this spool (it holds \(held)); "
                    + "give each delegate its own [delegate] name, or stop the other one",
                path: claimDirectory)
        case ENOLCK, EOPNOTSUPP, ENOSYS:
            TaskQueueError(
                code: .badLayout,
                message: "the spool's file system takes no locks, which keep two processes from running one "
                    + "delegate's tasks (NFS without its lock manager); run the lock manager (rpc-statd), "
                    + "or keep the spool on a local file system",
                path: claimDirectory, errno: number)
        default:
            .system("flock", path: claimDirectory, errno: number)
        }
    }
}
