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

    deinit {
        if let stream { closedir(stream) }
    }

    /// The next up to `limit` entries other than `.` and `..`; empty at the end.
    func next(limit: Int) throws(TaskQueueError) -> [Entry] {
        guard let stream else { return [] }
        var entries: [Entry] = []
        entries.reserveCapacity(limit)
        while entries.count < limit {
            Glibc.errno = 0
            guard let entry = readdir(stream) else {
                let number = Glibc.errno
                if number != 0 { throw .system("readdir", path: path, errno: number) }
                closedir(stream)
                self.stream = nil
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            entries.append(Entry(name: name, type: entry.pointee.d_type))
        }
        return entries
    }
}
