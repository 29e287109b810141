import Glibc

/// Streams the entries of a directory in bounded batches with `opendir`/`readdir`.
///
/// A spool may hold a backlog of 100,000 files; listing it whole would cost memory proportional to
/// the backlog. POSIX guarantees that an entry neither added nor removed during the walk is returned
/// exactly once.
final class DirectoryReader {
    struct Entry {
        var name: String
        /// `DT_REG`, `DT_DIR`, ... or `DT_UNKNOWN` where the file system does not say.
        var type: UInt8
        /// The name's raw bytes when they are not valid UTF-8: `name` is then only a lossy
        /// rendering that names no file (see ``DirectoryReader/rename(in:_:to:noReplace:unlink:)``).
        var invalidUTF8Name: [UInt8]? = nil
    }

    let path: String
    private var stream: OpaquePointer?

    /// Opens `path`; nil when it does not exist.
    init?(path: String) throws(TaskQueueError) {
        self.path = path
        guard let stream = opendir(path) else {
            let number = Glibc.errno
            if number == ENOENT { return nil }
            throw .system("opendir", path: path, errno: number)
        }
        self.stream = stream
    }

    /// Reads the directory open at `descriptor` through a duplicate of it: the caller keeps
    /// `descriptor` open and usable (for `unlinkat` relative to it). `path` names it in errors.
    init(descriptor: Int32, path: String) throws(TaskQueueError) {
        self.path = path
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let stream = fdopendir(copy) else {
            let number = Glibc.errno
            if copy >= 0 { close(copy) }
            throw .system("fdopendir", path: path, errno: number)
        }
        self.stream = stream
    }

    deinit {
        if let stream { closedir(stream) }
    }

    /// The next up to `limit` entries other than `.` and `..`; empty at the end.
    func next(limit: Int) throws(TaskQueueError) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(limit)
        while entries.count < limit, let raw = try nextRaw() {
            guard let name = String(validating: raw.name, as: UTF8.self) else {
                entries.append(
                    Entry(name: String(decoding: raw.name, as: UTF8.self), type: raw.type, invalidUTF8Name: raw.name))
                continue
            }
            entries.append(Entry(name: name, type: raw.type))
        }
        return entries
    }

    /// The next entry's name as `readdir` gave its bytes, and its type, skipping `.` and `..`;
    /// nil at the end (the stream is then closed).
    func nextRaw() throws(TaskQueueError) -> (name: [UInt8], type: UInt8)? {
        guard let stream else { return nil }
        while true {
            Glibc.errno = 0
            guard let entry = readdir(stream) else {
                let number = Glibc.errno
                if number != 0 { throw .system("readdir", path: path, errno: number) }
                closedir(stream)
                self.stream = nil
                return nil
            }
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            let dots = bytes.count <= 2 && bytes.allSatisfy { $0 == UInt8(ascii: ".") }
            if dots { continue }  // `.` and `..` (a name is never empty)
            return (bytes, entry.pointee.d_type)
        }
    }

    /// Renames the entry named by `rawName` (bytes, as `readdir` gave them: they cannot round-trip
    /// through a Swift string) to `newName` in the same directory, unless `newName` exists. False
    /// when the source is gone or the target exists. Delegates sharing the spool race harmlessly:
    /// they derive the same `newName`, and the loser's rename finds no source.
    ///
    /// One step with `RENAME_NOREPLACE`; where the file system lacks it, ``FileIO/linkNoReplace(_:_:unlink:)``
    /// (which never leaves the task under two names). `noReplace` and `unlink` are for tests.
    static func rename(
        in directory: String, _ rawName: [UInt8], to newName: String,
        noReplace: (UnsafePointer<CChar>, String) throws(TaskQueueError) -> FileIO.RenameOutcome? = {
            source, target throws(TaskQueueError) in try FileIO.renameat2NoReplace(source, target)
        },
        unlink: (UnsafePointer<CChar>) -> Int32 = { Glibc.unlink($0) }
    ) throws(TaskQueueError) -> Bool {
        let target = directory + "/" + newName
        return try FileIO.withRawPath(in: directory, rawName) { sourcePath throws(TaskQueueError) -> Bool in
            if let outcome = try noReplace(sourcePath, target) { return outcome == .renamed }
            do throws(TaskQueueError) {
                return try FileIO.linkNoReplace(sourcePath, target, unlink: unlink) == .renamed
            } catch  where error.errno == EPERM && error.message == "link failed" {
                // Not a file (a directory), or a file protected_hardlinks keeps from being
                // linked: a plain rename, after checking the target is free.
                guard try FileIO.lstat(target) == nil else { return false }
                if FileIO.retrying({ Glibc.rename(sourcePath, target) }) == 0 { return true }
                if Glibc.errno == ENOENT { return false }
                throw .system("rename", path: target, errno: Glibc.errno)
            }
        }
    }
}
