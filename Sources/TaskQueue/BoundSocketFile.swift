import Glibc

/// The socket file a server bound itself, remembered by device and inode so that closing removes
/// only that file: if systemd (a socket unit started meanwhile) or another server has since bound
/// the path anew, the file there is theirs and stays.
struct BoundSocketFile: Sendable {
    let path: String
    private let device: UInt64
    private let inode: UInt64

    /// Remembers what is at `path` now (right after `bind`); nil if nothing is.
    init?(path: String) throws(TaskQueueError) {
        guard let info = try FileIO.lstat(path) else { return nil }
        self.path = path
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// Removes the file if it is still the one bound; true when it did.
    @discardableResult
    func removeIfOurs() -> Bool {
        guard let info = try? FileIO.lstat(path), UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else {
            return false
        }
        return (try? FileIO.unlink(path)) ?? false
    }
}
