import Glibc

extension FileIO {
    /// The most entries ``removeTree(_:)`` deletes, and how deep it goes, before it gives up.
    static let removeTreeBudget = 10_000
    static let removeTreeDepth = 32

    /// Deletes `path` and, if it is a directory, everything in it, never through a symbolic link.
    ///
    /// What a producer left in the spool (a directory in `new/`, one planted at a result's name)
    /// is the producer's to change while it is deleted. So each directory is opened with
    /// `O_DIRECTORY | O_NOFOLLOW` and its entries are deleted relative to that descriptor
    /// (`unlinkat`): a directory swapped for a link meanwhile is deleted as a link, and nothing
    /// outside the tree is touched. At most ``removeTreeBudget`` entries, ``removeTreeDepth`` deep;
    /// a larger tree is an error, with what was not yet deleted left where it is. The budget is
    /// spent as names are listed, so the names held at once (each directory's on the way down)
    /// are within it too, however the tree is shaped.
    static func removeTree(_ path: String) throws(TaskQueueError) {
        let slash = path.lastIndex(of: "/")
        let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = Array((slash.map { String(path[path.index(after: $0)...]) } ?? path).utf8)
        guard let parentFD = try open(parent, flags: O_RDONLY | O_DIRECTORY) else { return }
        defer { close(parentFD) }
        var left = removeTreeBudget - 1  // the entry itself
        try removeEntry(name, in: parentFD, path: path, depth: 0, left: &left)
    }

    /// Deletes `name` in `directory` and what it holds; `left` is what remains of the budget once
    /// `name` (already listed) is counted.
    private static func removeEntry(
        _ name: [UInt8], in directory: Int32, path: String, depth: Int, left: inout Int
    ) throws(TaskQueueError) {
        guard depth <= removeTreeDepth else { throw tooLarge(path) }
        let cName = name.map { CChar(bitPattern: $0) } + [0]
        if retrying({ unlinkat(directory, cName, 0) }) == 0 { return }
        var number = Glibc.errno
        if number == ENOENT { return }
        guard number == EISDIR || number == EPERM else { throw .system("unlinkat", path: path, errno: number) }
        let fd = retrying { openat(directory, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            number = Glibc.errno
            if number == ENOENT { return }
            // Swapped for a link or a file since the unlink: that goes as it is.
            if number == ELOOP || number == ENOTDIR, retrying({ unlinkat(directory, cName, 0) }) == 0 { return }
            throw .system("openat", path: path, errno: number)
        }
        do {
            defer { close(fd) }
            let children = try entryNames(of: fd, path: path, limit: left)
            guard children.count <= left else { throw tooLarge(path) }
            left -= children.count
            for child in children {
                try removeEntry(child, in: fd, path: path + "/" + String(decoding: child, as: UTF8.self),
                    depth: depth + 1, left: &left)
            }
        }
        if retrying({ unlinkat(directory, cName, AT_REMOVEDIR) }) == 0 { return }
        number = Glibc.errno
        if number == ENOENT { return }
        if number == ENOTDIR, retrying({ unlinkat(directory, cName, 0) }) == 0 { return }
        throw .system("unlinkat", path: path, errno: number)
    }

    /// The raw names in the open directory `fd`, without `.` and `..` (the descriptor stays
    /// open); at most one more than `limit`, which is then exceeded.
    private static func entryNames(of fd: Int32, path: String, limit: Int) throws(TaskQueueError) -> [[UInt8]] {
        let reader = try DirectoryReader(descriptor: fd, path: path)
        var names: [[UInt8]] = []
        while names.count <= limit, let entry = try reader.nextRaw() { names.append(entry.name) }
        return names
    }

    private static func tooLarge(_ path: String) -> TaskQueueError {
        TaskQueueError(
            code: .io,
            message: "a producer's directory holds more than \(removeTreeBudget) entries or is more than "
                + "\(removeTreeDepth) deep; it could not be removed completely, and what remains stays", path: path)
    }
}
