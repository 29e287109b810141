import FoundationEssentials
import Glibc
import LineSocket

/// Small wrappers around the file system calls the spool needs: `EINTR` retried, failures typed.
enum FileIO {
    /// Runs `call` again while it fails with `EINTR` (``SystemCall/retrying(_:)``).
    @inline(__always)
    static func retrying<T: SignedInteger>(_ call: () -> T) -> T {
        SystemCall.retrying(call)
    }

    /// Opens `path`, returning nil when it does not exist (ENOENT).
    static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(TaskQueueError) -> Int32? {
        let fd = retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
        if fd >= 0 { return fd }
        let number = Glibc.errno
        if number == ENOENT { return nil }
        throw .system("open", path: path, errno: number)
    }

    /// Calls `body` with the C path of the entry `name` of `directory`, by the bytes of its name
    /// (which need not be UTF-8, and so cannot go through a Swift string).
    static func withRawPath<Result, Failure: Error>(
        in directory: String, _ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
        return try path.withUnsafeBufferPointer { bytes throws(Failure) -> Result in
            try bytes.withMemoryRebound(to: CChar.self) { cPath throws(Failure) -> Result in
                try body(cPath.baseAddress!)
            }
        }
    }

    static func close(_ fd: Int32) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
        _ = Glibc.close(fd)
    }

    /// `fstat` of an open descriptor.
    static func stat(fd: Int32, path: String) throws(TaskQueueError) -> stat {
        var info = Glibc.stat()
        if retrying({ fstat(fd, &info) }) != 0 { throw .system("fstat", path: path, errno: Glibc.errno) }
        return info
    }

    /// `lstat` of a path; nil when it does not exist.
    static func lstat(_ path: String) throws(TaskQueueError) -> stat? {
        var info = Glibc.stat()
        if retrying({ Glibc.lstat(path, &info) }) == 0 { return info }
        let number = Glibc.errno
        if number == ENOENT { return nil }
        throw .system("lstat", path: path, errno: number)
    }

    /// Reads the whole descriptor, at most `limit` bytes; nil when there is more than that.
    static func read(fd: Int32, limit: Int, sizeHint: Int, path: String) throws(TaskQueueError) -> Data? {
        var buffer = [UInt8](repeating: 0, count: min(max(sizeHint, 0), limit) + 1)
        var count = 0
        while true {
            if count == buffer.count {
                if buffer.count > limit { return nil }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, limit + 1 - buffer.count)))
            }
            let got = buffer.withUnsafeMutableBytes { raw in
                retrying { Glibc.read(fd, raw.baseAddress.map { $0 + count }, raw.count - count) }
            }
            if got < 0 {
                // EAGAIN too: callers read regular files, which never block; a loop on it would
                // spin on whatever else (a FIFO with a writer) got this far.
                throw .system("read", path: path, errno: Glibc.errno)
            }
            if got == 0 { break }
            count += got
            if count > limit { return nil }
        }
        return Data(buffer[0..<count])
    }

    /// Writes all of `data`, resuming after short writes.
    static func writeAll(fd: Int32, data: Data, path: String) throws(TaskQueueError) {
        var failure: Int32? = nil
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let wrote = retrying { Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset) }
                if wrote < 0 {
                    failure = Glibc.errno
                    return
                }
                offset += wrote
            }
        }
        if let failure { throw .system("write", path: path, errno: failure) }
    }

    static func fsync(fd: Int32, path: String) throws(TaskQueueError) {
        if retrying({ Glibc.fsync(fd) }) != 0 { throw .system("fsync", path: path, errno: Glibc.errno) }
    }

    /// Makes a rename or unlink inside `directory` durable.
    static func fsyncDirectory(_ directory: String) throws(TaskQueueError) {
        guard let fd = try open(directory, flags: O_RDONLY | O_DIRECTORY) else {
            throw .system("open", path: directory, errno: ENOENT)
        }
        defer { close(fd) }
        try fsync(fd: fd, path: directory)
    }

    /// Removes `path`; false when it was already gone.
    @discardableResult
    static func unlink(_ path: String) throws(TaskQueueError) -> Bool {
        if retrying({ Glibc.unlink(path) }) == 0 { return true }
        let number = Glibc.errno
        if number == ENOENT { return false }
        throw .system("unlink", path: path, errno: number)
    }

    private typealias RenameAt2 =
        @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32)
        -> Int32

    /// glibc declares `renameat2` only under `_GNU_SOURCE`, which Swift's Glibc module does not set,
    /// so it is looked up once by name (glibc 2.28+ always has it).
    private static let renameat2: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    /// `RENAME_NOREPLACE` from <linux/fs.h>.
    private static let renameNoReplaceFlag: UInt32 = 1

    enum RenameOutcome {
        case renamed
        case sourceMissing
        case targetExists
    }

    /// Renames `source` to `target` atomically, never replacing an existing target.
    ///
    /// Uses `renameat2(RENAME_NOREPLACE)`; where the file system does not support it (EINVAL, e.g.
    /// some network file systems) it falls back to `link` + `unlink`, which is just as exclusive.
    static func renameNoReplace(_ source: String, _ target: String) throws(TaskQueueError) -> RenameOutcome {
        if let outcome = try renameat2NoReplace(source, target) { return outcome }
        return try linkNoReplace(source, target)
    }

    /// Renames `source` to `target` in a directory only this process creates entries in (a
    /// delegate's own `cur/<name>/`, held by its lock), never replacing an existing target. Where
    /// the file system has no `RENAME_NOREPLACE`, no one else can create `target` between a look
    /// and a plain `rename`, which is then as exclusive (``renameCheckingTarget(_:_:)``). It needs
    /// no `link`, which `fs.protected_hardlinks` (on by default) refuses for a file the caller
    /// may not write: a task file its producer owns and the delegate may only read.
    static func renameIntoOwnDirectory(_ source: String, _ target: String) throws(TaskQueueError) -> RenameOutcome {
        if let outcome = try renameat2NoReplace(source, target) { return outcome }
        return try renameCheckingTarget(source, target)
    }

    /// ``renameIntoOwnDirectory(_:_:)``'s fallback: `target` looked for, then `rename(2)`. Of
    /// several callers renaming one source, one succeeds and the others find it gone. Exclusive
    /// only while one caller at a time moves a given name into the directory (a delegate's spool
    /// watcher hands each name to one consumer): `rename(2)` itself would replace a target made
    /// between the look and the rename.
    static func renameCheckingTarget(_ source: String, _ target: String) throws(TaskQueueError) -> RenameOutcome {
        if try lstat(target) != nil { return .targetExists }
        return try rename(source, target) ? .renamed : .sourceMissing
    }

    /// `renameat2(RENAME_NOREPLACE)`; nil where the file system (or the kernel) does not support it.
    /// `source` is a C string so that a name that is not UTF-8 can be given by its bytes.
    static func renameat2NoReplace(_ source: UnsafePointer<CChar>, _ target: String) throws(TaskQueueError)
        -> RenameOutcome?
    {
        guard let renameat2 else { return nil }
        let result = retrying { renameat2(AT_FDCWD, source, AT_FDCWD, target, renameNoReplaceFlag) }
        if result == 0 { return .renamed }
        let number = Glibc.errno
        switch number {
        case ENOENT: return .sourceMissing
        case EEXIST: return .targetExists
        case EINVAL, ENOSYS: return nil
        default: throw .system("renameat2", path: String(cString: source), errno: number)
        }
    }

    /// `renameNoReplace`'s fallback: `link` then `unlink` of the source. As exclusive as
    /// `RENAME_NOREPLACE` (link fails on an existing target), though not one step: when the
    /// source cannot be removed after the link (another caller took it meanwhile, or it may not
    /// be removed), the link is undone, so that no file stays under two names (a task would run
    /// twice): the source counts as gone, or the error is thrown. `source` is a C string so that a
    /// name that is not UTF-8 can be given by its bytes; `unlink` is for tests.
    static func linkNoReplace(
        _ source: UnsafePointer<CChar>, _ target: String,
        unlink: (UnsafePointer<CChar>) -> Int32 = { Glibc.unlink($0) }
    ) throws(TaskQueueError) -> RenameOutcome {
        if retrying({ Glibc.link(source, target) }) != 0 {
            let number = Glibc.errno
            switch number {
            case ENOENT: return .sourceMissing
            case EEXIST: return .targetExists
            default: throw .system("link", path: String(cString: source), errno: number)
            }
        }
        if retrying({ unlink(source) }) != 0 {
            let number = Glibc.errno
            _ = try Self.unlink(target)
            if number == ENOENT { return .sourceMissing }
            throw .system("unlink", path: String(cString: source), errno: number)
        }
        return .renamed
    }

    /// Plain `rename(2)` (replaces the target); false when the source is gone.
    static func rename(_ source: String, _ target: String) throws(TaskQueueError) -> Bool {
        if retrying({ Glibc.rename(source, target) }) == 0 { return true }
        let number = Glibc.errno
        if number == ENOENT { return false }
        throw .system("rename", path: source, errno: number)
    }
}
