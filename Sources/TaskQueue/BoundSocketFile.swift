import Glibc

/// The socket file a server bound itself, remembered by its device and inode (a
/// ``FileFingerprint``'s identity part) so that closing removes only that file: if systemd (a
/// socket unit started meanwhile) or another server has since bound the path anew, the file there
/// is theirs and stays.
struct BoundSocketFile: Sendable {
    let path: String
    private let bound: FileFingerprint

    /// Remembers the socket at `path` now (right after `bind`); nil if there is none (nothing, or
    /// something else put there since, which is not ours to remove).
    init?(path: String) throws(TaskQueueError) {
        guard let info = try FileIO.lstat(path), info.st_mode & S_IFMT == S_IFSOCK else { return nil }
        self.path = path
        bound = FileFingerprint(info)
    }

    /// Removes the file if it is still the one bound; true when it did.
    @discardableResult
    func removeIfOurs() -> Bool {
        guard let info = try? FileIO.lstat(path) else { return false }
        let now = FileFingerprint(info)
        guard now.device == bound.device, now.inode == bound.inode else { return false }
        return (try? FileIO.unlink(path)) ?? false
    }
}
