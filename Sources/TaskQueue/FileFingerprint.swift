import Glibc

/// Identifies one version of a file: a changed or replaced file gets a different fingerprint.
///
/// Used to remember task files this delegate decided to skip, so a rescan does not read the same
/// unchanged file again and again.
public struct FileFingerprint: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modificationSeconds: Int64
    public var modificationNanoseconds: Int64

    public init(
        device: UInt64, inode: UInt64, size: Int64, modificationSeconds: Int64, modificationNanoseconds: Int64
    ) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modificationSeconds = modificationSeconds
        self.modificationNanoseconds = modificationNanoseconds
    }

    init(_ info: stat) {
        self.init(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modificationSeconds: Int64(info.st_mtim.tv_sec),
            modificationNanoseconds: Int64(info.st_mtim.tv_nsec)
        )
    }

    public var description: String {
        "device \(device), inode \(inode), \(size) bytes, mtime \(modificationSeconds).\(modificationNanoseconds)"
    }
}
