import DelegateClient
import FoundationEssentials
import Glibc
import SafeText
import Sealing
import AWSCore

/// The private key file of `keygen` and `open --key`: one line, the base64 of a raw 32-byte
/// X25519 private key, in a file of mode 0600 that `keygen` creates and never overwrites.
public enum ResultKeyFile {
    /// `secrets-delegate keygen --out KEYFILE`: a new key pair, the private key written to a
    /// new file (`O_EXCL`, mode 0600 whatever the umask), the public key printed for `sealTo`
    /// (``printed(_:out:)``).
    public static func generate(out path: String) -> CommandOutcome {
        generate(out: path, setMode: { fchmod($0, 0o600) })
    }

    /// ``generate(out:)`` with the call that gives the new file mode 0600 (for tests: a file
    /// system such as vfat answers it with success and keeps a mode of its own).
    static func generate(out path: String, setMode: (Int32) -> Int32) -> CommandOutcome {
        let pair: HPKE.KeyPair
        do {
            pair = try HPKE.generateKeyPair()
            // A key this host's libcrypto could not open results with is not handed out.
            try HPKE.checkRoundTrip(pair)
        } catch {
            return .failure("cannot generate a key pair this host can open results with: \(error)", status: ExitStatus.unavailable)
        }
        if let problem = write(Data((Data(pair.privateKey).base64EncodedString() + "\n").utf8), to: path, setMode: setMode) {
            return .failure(problem.message, status: problem.status)
        }
        return CommandOutcome(output: Data(pair.publicKey).base64EncodedString(), status: ExitStatus.success)
    }

    /// Prints what ``generate(out:)`` made (``CommandOutcome/emit()``); the exit status. When
    /// stdout refused the public key, the key file goes too: nothing can give its public key
    /// again, and keygen can simply run again.
    /// The line saying the key file at `path` was removed, the path shown as every error line
    /// shows text (control characters escaped: a terminal is not told to do anything).
    static func removedLine(path: String) -> String {
        "secrets-delegate: \(ShownText.escaped(path)) was removed, its public key unprinted; run keygen again\n"
    }

    /// The line saying the key file at `path` could not be removed (`errno`): it holds a private
    /// key whose public key no one has; remove it, then run keygen again (it never overwrites).
    static func notRemovedLine(path: String, errno number: Int32) -> String {
        "secrets-delegate: \(ShownText.escaped(path)) could not be removed (\(String(cString: strerror(number)))), "
            + "its public key unprinted: remove it, then run keygen again\n"
    }

    public static func printed(_ outcome: CommandOutcome, out path: String) -> Int32 {
        // A reader gone (a closed pipe) is a refusal like any other: SIGPIPE would end the
        // process with the key file left and its public key never printed.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }  // after the last line, which may go to the same pipe
        let status = outcome.emit()
        if outcome.status == ExitStatus.success, status != ExitStatus.success {
            let line = unlink(path) == 0 ? removedLine(path: path) : notRemovedLine(path: path, errno: errno)
            FileDescriptorWriter.writeAll(STDERR_FILENO, Array(line.utf8))
        }
        return status
    }

    /// The most a key file may hold: one line of base64 of 32 bytes, with room for a CRLF.
    static let maximumSize = 256

    /// The private key in `path`, or why it cannot be used: it must be a regular file (a link to
    /// one is followed) that no one but its owner may read or write, as `ssh` asks of its keys,
    /// since whoever reads it reads every result sealed to its public key.
    public static func read(_ path: String) -> Result<[UInt8], SealedResultError> {
        let bytes: [UInt8]
        switch RegularFile.read(path, limit: maximumSize, judge: { info in
            guard info.st_mode & 0o077 != 0 else { return nil }
            let mode = String(info.st_mode & 0o777, radix: 8)
            return "the key file \(path) has mode 0\(mode): others may read or change it; keep it to its owner "
                + "(chmod 600 \(path))"
        }) {
        case .success(let read): bytes = read
        case .failure(.system(let number)):
            return .failure(SealedResultError("cannot read the key file \(path): \(RegularFile.describe(number))"))
        case .failure(.notRegular): return .failure(SealedResultError("the key file \(path) is not a regular file"))
        case .failure(.refused(let problem)): return .failure(SealedResultError(problem))
        }
        let count = bytes.count
        let text = String(decoding: bytes.prefix(maximumSize), as: UTF8.self).trimmingWhitespace()
        guard count <= maximumSize, let key = Data(base64Encoded: text), key.count == HPKE.keyByteCount else {
            return .failure(
                SealedResultError("the key file \(path) does not hold one line of base64 of a 32-byte key"))
        }
        return .success(Array(key))
    }

    /// Why a key file was not written, and keygen's exit status for it: 64 for what the caller
    /// must change (a file that exists, a path that cannot be created or a directory not
    /// writable, a file system that leaves others permission bits), 74 for what the system failed
    /// (a full disk or quota, `EIO`, a file size limit), at any step.
    struct Problem: Equatable {
        var message: String
        var status: Int32

        static func usage(_ message: String) -> Problem { Problem(message: message, status: ExitStatus.usage) }

        /// "cannot `what` `path`: reason", 74 or 64 by ``ExitStatus/systemWriteFailures``.
        static func failed(_ what: String, _ path: String, _ number: Int32) -> Problem {
            Problem(
                message: "cannot \(what) \(path): \(RegularFile.describe(number))",
                status: ExitStatus.systemWriteFailures.contains(number) ? ExitStatus.ioError : ExitStatus.usage)
        }

        /// Writing, syncing or syncing the directory (which needs read permission on it: a
        /// drop-box directory the caller may write but not read is the caller's to change).
        static func writing(_ path: String, _ number: Int32) -> Problem {
            failed("write", path, number)
        }
    }

    /// Writes `data` to a file that must not exist yet; nil on success, else the problem. The key
    /// is written and synced in an unnamed file of `path`'s directory (`O_TMPFILE`), then linked
    /// into place (`linkat` fails on an existing name, a dangling link included), so `path` never
    /// holds part of a key and a crash leaves no key behind under any name. Where the file system
    /// has no `O_TMPFILE` or no links (vfat, some FUSE mounts), the file is written in place.
    static func write(_ data: Data, to path: String, setMode: (Int32) -> Int32) -> Problem? {
        let fd = open(DelegateConfiguration.directory(of: path), temporaryFileFlag | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return writeInPlace(data, to: path, setMode: setMode) }
        if let problem = fill(fd, with: data, path: path, setMode: setMode) {
            close(fd)
            return problem
        }
        let linked = linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW)
        let number = errno
        close(fd)
        if linked != 0 {
            if number == EEXIST { return .usage("\(path) exists; keygen never overwrites a key") }
            return writeInPlace(data, to: path, setMode: setMode)
        }
        return syncName(of: path)
    }

    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), which Swift's Glibc module does not export;
    /// `__O_TMPFILE` is the same on every Linux architecture Swift runs on, `O_DIRECTORY` is not.
    private static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY

    /// ``write(_:to:setMode:)`` where no unnamed file can be linked: a new file at `path` (`O_EXCL`),
    /// removed again if it cannot be written whole.
    private static func writeInPlace(_ data: Data, to path: String, setMode: (Int32) -> Int32) -> Problem? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let number = errno
            if number == EEXIST { return .usage("\(path) exists; keygen never overwrites a key") }
            return .failed("create", path, number)
        }
        let problem = fill(fd, with: data, path: path, setMode: setMode)
        close(fd)
        if problem != nil {
            unlink(path)
            return problem
        }
        return syncName(of: path)
    }

    /// Gives `fd` mode 0600 (the umask may have taken bits away; the owner must be able to read
    /// it back), checks that the file has it (vfat answers `fchmod` with success and keeps the
    /// mode its mount gives every file), writes `data` and syncs it; nil on success, else the
    /// problem. Nothing is written to a file that others could read.
    private static func fill(_ fd: Int32, with data: Data, path: String, setMode: (Int32) -> Int32) -> Problem? {
        if setMode(fd) != 0 {
            return .failed("set the mode of", path, errno)
        }
        var info = stat()
        if fstat(fd, &info) != 0 {
            return .failed("set the mode of", path, errno)
        }
        if info.st_mode & 0o077 != 0 {
            return .usage(
                "the file system of \(path) leaves the key file group or other permission bits (the new file has mode "
                    + "0\(String(info.st_mode & 0o777, radix: 8)), not 0600), so others could read the key; write it on another file system")
        }
        if let number = data.withUnsafeBytes({ FileDescriptorWriter.writeAll(fd, $0) }) {
            return .writing(path, number)
        }
        if fsync(fd) != 0 {
            return .writing(path, errno)
        }
        return nil
    }

    /// Syncs the directory of the new file at `path`: its name too must survive a crash, since its
    /// public key is about to be handed out. Removes the file if that fails.
    private static func syncName(of path: String) -> Problem? {
        guard let number = syncDirectory(of: path) else { return nil }
        unlink(path)
        return .writing(path, number)
    }

    /// Fsyncs the directory `path` is in; the `errno` if that fails.
    private static func syncDirectory(of path: String) -> Int32? {
        let directory = DelegateConfiguration.directory(of: path)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return fsync(fd) == 0 ? nil : errno
    }
}
