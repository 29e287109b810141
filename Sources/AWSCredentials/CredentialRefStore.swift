import AWSCore
import FileNames
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Looks up named credentials ("refs") in credential directories: first systemd's
/// `$CREDENTIALS_DIRECTORY` (filled by `LoadCredential=`), then `[credentials] directory`.
///
/// A ref is a file name, `[A-Za-z0-9_.-]{1,128}`, never a path. Files must be regular files (not
/// symbolic links) that only their owner can read: mode 0600 or 0400, as systemd gives the files
/// of `$CREDENTIALS_DIRECTORY`. A secret key readable by a group is a secret shared with that
/// group, so any group or other permission bit is refused. Errors name the ref and the reason,
/// never the contents. Values are kept while their files stay as they were read
/// (``CredentialFileCache``).
public struct CredentialRefStore: Sendable {
    public static let maxFileBytes = 8 * 1024

    public let directories: [String]

    /// The user a credential file must belong to: the one the delegate runs as.
    let owner: uid_t
    /// systemd's `$CREDENTIALS_DIRECTORY`, whose files systemd may leave root's, readable through
    /// an ACL.
    let systemdDirectory: String?
    /// Tells whether a file had settled when it was read (``CredentialFileCache``).
    private let clock: any WallClock
    private let cache = CredentialFileCache()

    /// - Parameters:
    ///   - environment: the process environment (for `CREDENTIALS_DIRECTORY`).
    ///   - configuredDirectory: `[credentials] directory`.
    public init(
        environment: [String: String], configuredDirectory: String, owner: uid_t = geteuid(),
        clock: any WallClock = SystemWallClock()
    ) {
        self.owner = owner
        self.clock = clock
        var directories: [String] = []
        let systemd = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        self.systemdDirectory = systemd
        if let systemd { directories.append(systemd) }
        if !configuredDirectory.isEmpty { directories.append(configuredDirectory) }
        self.directories = directories
    }

    public init(directories: [String], owner: uid_t = geteuid(), clock: any WallClock = SystemWallClock()) {
        self.directories = directories
        self.owner = owner
        self.clock = clock
        self.systemdDirectory = nil
    }

    /// Files whose values are kept, and values served from them (for tests).
    var cacheCounts: (kept: Int, hits: Int) { cache.counts }

    /// Which cache the store keeps values in (for tests: a new store starts an empty one).
    var cacheIdentity: ObjectIdentifier { ObjectIdentifier(cache) }

    /// Forgets the values of credential files read more than a minute ago
    /// (``CredentialFileCache/purgeExpired(now:)``): they would be read again anyway.
    public func purgeExpired() {
        cache.purgeExpired(now: clock.now())
    }

    /// A portable file name (`PortableFileName`: `[A-Za-z0-9_.-]{1,128}`, never `.` or `..`), the
    /// contract's credential name: always one path component directly inside a credential
    /// directory (`a..b` included: only a whole `..` leaves a directory).
    public static func isValidName(_ name: String) -> Bool {
        PortableFileName.isValid(name)
    }

    /// The credential's value, with one trailing newline removed.
    ///
    /// A file is read again whenever it is no longer the file that was read, and at least every
    /// minute (``CredentialFileCache``): a rotated or re-permissioned file takes effect at the next
    /// call.
    public func value(of ref: String) throws(AWSError) -> String {
        guard Self.isValidName(ref) else {
            throw Self.failure(ref, "is not a valid credential name (use [A-Za-z0-9_.-], no paths)")
        }
        for directory in directories {
            let path = directory + "/" + ref
            var info = stat()
            let found = lstat(path, &info) == 0
            let lstatError = errno
            if !found, lstatError == ENOENT {
                cache.forget(path)
                continue
            }
            // The directory first, for a kept value too (one stat): a directory others may now
            // write refuses its files at once.
            try checkDirectory(directory, ref: ref)
            if found, let kept = cache.value(at: path, identity: .init(info), now: clock.now()) { return kept }
            cache.forget(path)
            // Changed, too old or unreadable: nothing kept for it is served again. The read says
            // why a file cannot be used (an lstat that failed otherwise included).
            guard let (text, identity) = try read(path, ref: ref, directory: directory) else { continue }
            cache.keep(text, at: path, identity: identity, readAt: clock.now())
            return text
        }
        let searched =
            directories.isEmpty
            ? "no credential directory is configured" : "searched \(directories.joined(separator: ", "))"
        throw Self.failure(ref, "was not found (\(searched))")
    }

    /// Refuses a directory others than root or the delegate's user could change: whoever may
    /// rename in it could swap two connectors' key files (each still the delegate's own, mode
    /// 0600) or put back an old one. A sticky directory (`/tmp`-like) is safe from that.
    private func checkDirectory(_ directory: String, ref: String) throws(AWSError) {
        var info = stat()
        guard stat(directory, &info) == 0 else { return }  // the file's read says what is wrong
        guard info.st_uid == 0 || info.st_uid == owner else {
            throw Self.failure(
                ref,
                "is in \(directory), which belongs to uid \(info.st_uid); a credential directory must belong to "
                    + "root or the user the delegate runs as (uid \(owner))")
        }
        guard info.st_mode & 0o022 == 0 || info.st_mode & S_ISVTX != 0 else {
            throw Self.failure(
                ref,
                "is in \(directory), which others than its owner may write (mode "
                    + "0\(String(info.st_mode & 0o7777, radix: 8))) and so swap credential files: chmod go-w it")
        }
    }

    /// The value in the file at `path` and what the file was when read; nil if there is no file.
    private func read(
        _ path: String, ref: String, directory: String
    ) throws(AWSError) -> (String, CredentialFileCache.FileIdentity)? {
        // Opened once without following links; every check is on what was opened.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let number = errno
            if number == ENOENT { return nil }
            if number == ELOOP { throw Self.failure(ref, "in \(directory) is not a regular file (a symbolic link)") }
            throw Self.unreadable(ref, in: directory, number)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw Self.unreadable(ref, in: directory, errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw Self.failure(ref, "in \(directory) is not a regular file")
        }
        // The delegate's own file, readable by no one else (0600, 0400). In systemd's
        // `$CREDENTIALS_DIRECTORY` also root's, readable by the delegate through an ACL (systemd's
        // way where the file system has ACLs, tmpfs; it chowns only on ramfs): the ACL's mask shows
        // as the group's read bit, so for such a file only the group's read bit is allowed besides
        // the owner's. That directory is systemd's private, read-only mount for this service, and
        // no other user can plant a file root owns.
        let systemds = directory == systemdDirectory
        guard info.st_uid == owner || (systemds && info.st_uid == 0) else {
            throw Self.failure(
                ref,
                "in \(directory) belongs to uid \(info.st_uid); it must belong to the user the delegate runs as "
                    + "(uid \(owner))" + (systemds ? " or, as systemd's LoadCredential= copies may, to root" : "")
            )
        }
        let throughACL = systemds && info.st_uid == 0 && info.st_uid != owner
        guard info.st_mode & (throughACL ? 0o037 : 0o077) == 0 else {
            throw Self.failure(
                ref,
                "in \(directory) has mode \(String(info.st_mode & 0o777, radix: 8)); "
                    + (throughACL
                        ? "a root-owned copy may be read by the delegate's ACL only (0440 or 0400)"
                        : "only its owner may read it (use 0600 or 0400)")
            )
        }
        guard info.st_size <= Self.maxFileBytes else {
            throw Self.failure(ref, "in \(directory) is larger than \(Self.maxFileBytes) bytes")
        }
        // Read into uninitialised temporary space (no zeroed heap array), to the end of the file
        // or one byte past the limit; whatever was read is wiped (`explicit_bzero`, which is not
        // elided) on every way out.
        var readError: Int32 = 0
        let contents = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maxFileBytes + 1) {
            buffer -> (text: String, count: Int)? in
            var count = 0
            defer { explicit_bzero(buffer.baseAddress!, count) }
            while count < buffer.count {
                let read = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if read < 0 && errno == EINTR { continue }
                guard read >= 0 else {
                    readError = errno
                    return nil
                }
                if read == 0 { break }
                count += read
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self), count)
        }
        guard let contents else {
            // As an open that fails says: a failing disk (EIO) is told apart from a permission.
            throw Self.unreadable(ref, in: directory, readError)
        }
        guard contents.count <= Self.maxFileBytes else {
            throw Self.failure(ref, "in \(directory) is larger than \(Self.maxFileBytes) bytes")
        }
        var text = contents.text
        if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw Self.failure(ref, "in \(directory) is empty") }
        // A second line break, a space, a byte order mark, a byte that is not UTF-8: named by
        // position, never by value.
        if let problem = CredentialText.problem(text) {
            throw Self.failure(ref, "in \(directory) \(problem) (one trailing line break is allowed)")
        }
        return (text, CredentialFileCache.FileIdentity(info))
    }

    private static func failure(_ ref: String, _ reason: String, retryable: Bool = false) -> AWSError {
        AWSError.credentials("credential \(shown(ref: ref)) \(reason)", retryable: retryable)
    }

    /// A file that could not be opened or read for `number`: for good when the host must change
    /// first (a permission, a mount), retryable when the system failed for now (out of
    /// descriptors or memory, an I/O error): a task sent again may then read it.
    static func unreadable(_ ref: String, in directory: String, _ number: Int32) -> AWSError {
        failure(
            ref, "cannot be read in \(directory) (\(String(cString: strerror(number))))",
            retryable: Self.passingReadErrors.contains(number))
    }

    /// What failing to open or read a file says of the system for now, not of the file.
    static let passingReadErrors: Set<Int32> = [EMFILE, ENFILE, ENOMEM, EIO, EAGAIN]

    /// A ref as messages show it: quoted, unless it could be a secret pasted into the ref (over 32
    /// characters with none of `-`, `_`, `.`: an AWS secret access key is 40 characters of base64,
    /// many of which are valid names), which is described instead. Results and the journal carry
    /// these messages.
    static func shown(ref: String) -> String {
        let utf8 = ref.utf8
        guard utf8.count > 32,
            !utf8.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return "'\(ref)'" }
        return "(a name of \(utf8.count) bytes, not quoted: it may be a secret pasted in place of a ref)"
    }
}
