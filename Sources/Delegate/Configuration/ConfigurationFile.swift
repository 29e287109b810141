import Glibc

/// A configuration file as the delegate reads it (the main file, a connector drop-in): a regular
/// file (a link to one is followed), owned by root or the delegate's own user, that no one but
/// its owner may write, of at most 1 MiB of UTF-8. Drop-ins decide who may use which connector
/// and with which role: a file another user could change would let that user grant themselves
/// one, as a task file others may write would let them change a task (section 5).
enum ConfigurationFile {
    enum Contents: Equatable {
        /// Nothing at the path. A symbolic link to nothing is `unusable`: the operator made it,
        /// and taking it as "no file" would run on defaults, or without a connector, unsaid.
        case missing
        case text(String)
        /// Why the file cannot be used, said of the file ("is not a regular file").
        case unusable(String)
    }

    static let maximumBytes = 1 << 20

    static func read(_ path: String) -> Contents {
        let judged = RegularFile.read(path, limit: maximumBytes) { info in
            problem(mode: info.st_mode, owner: info.st_uid, size: Int(info.st_size))
        }
        switch judged {
        case .failure(.system(ENOENT)):
            if isDanglingLink(path) { return .unusable("is a symbolic link to nothing") }
            let directory = DelegateConfiguration.directory(of: path)
            if isDanglingLink(directory) { return .unusable("is in \(directory), a symbolic link to nothing") }
            return .missing
        case .failure(.system(let number)) where number == EACCES:
            // Root's check-config reads it, the service (its own user) or a producer's command may
            // not: said for both, since this code does not know which runs it.
            return .unusable(
                "cannot be read: \(RegularFile.describe(number)) (read as uid \(geteuid()): the service's user "
                    + "needs it readable, root:secrets-delegate 0640 as packaged, its directories searchable; "
                    + "another user, join the secrets-delegate group or pass --config)")
        case .failure(.system(let number)): return .unusable("cannot be read: \(RegularFile.describe(number))")
        case .failure(.notRegular): return .unusable("is not a regular file")
        case .failure(.refused(let problem)): return .unusable(problem)
        case .success(let bytes):
            // Checked again: the file may have grown since its size was judged.
            guard bytes.count <= maximumBytes else { return .unusable("is larger than 1 MiB") }
            guard let text = String(validating: bytes, as: UTF8.self) else { return .unusable("is not valid UTF-8") }
            return .text(text)
        }
    }

    /// Whether `path` is a symbolic link whose target does not exist.
    static func isDanglingLink(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return false }
        return stat(path, &info) != 0 && errno == ENOENT
    }

    /// What makes the directory at `path` unfit to hold configuration files, if anything: as for
    /// the files, an owner other than root or the user reading it, or others who may write it.
    static func directoryProblem(_ path: String, ownUID: uid_t = geteuid()) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot be examined: \(RegularFile.describe(errno))" }
        guard info.st_uid == 0 || info.st_uid == ownUID else {
            return
                "is owned by uid \(info.st_uid), neither root nor the user reading it (uid \(ownUID)); chown it to root"
        }
        guard info.st_mode & 0o022 == 0 else {
            return
                "has mode 0\(String(info.st_mode & 0o7777, radix: 8)): others than its owner may write it; chmod go-w it"
        }
        return nil
    }

    /// What makes a file of this mode, owner and size unusable, if anything. `ownUID` is the user
    /// reading it: the delegate's, or whoever runs `check-config` or another command.
    static func problem(mode: mode_t, owner: uid_t, size: Int, ownUID: uid_t = geteuid()) -> String? {
        guard mode & S_IFMT == S_IFREG else { return "is not a regular file" }
        guard owner == 0 || owner == ownUID else {
            return "is owned by uid \(owner), neither root nor the user reading it (uid \(ownUID)); chown it to root"
        }
        guard mode & 0o022 == 0 else {
            return "has mode 0\(String(mode & 0o7777, radix: 8)): others than its owner may write it; chmod go-w it"
        }
        guard size <= maximumBytes else { return "is larger than 1 MiB" }
        return nil
    }
}
