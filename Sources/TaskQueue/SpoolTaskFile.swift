import FoundationEssentials

/// A task file as read from the spool: its bytes (or why there are none) and its fingerprint.
public struct SpoolTaskFile: Sendable {
    /// What the file holds.
    public enum Contents: Sendable, Equatable {
        /// The whole file, at most the spool's maximum task size.
        case data(Data)
        /// The file is larger than the maximum task size; it was not read.
        case oversize(byteCount: Int64)
        /// Not a regular file (a symbolic link, a FIFO, a directory): never opened for reading.
        case notRegularFile
    }

    /// The file name in the spool, e.g. `build-4711.json`.
    public let name: String
    /// Identifies this version of the file (for ``SpoolWatcher/markSkipped(_:fingerprint:epoch:)``).
    public let fingerprint: FileFingerprint
    public let contents: Contents
    /// The file's owner, from the same `fstat` (or `lstat`) as the read: the task's principal.
    public let ownerUID: UInt32
    /// The permission bits of a regular file its group or others may write (mode bits 022), nil
    /// for one only its owner may: another producer could have written what runs under its
    /// owner's name, so its owner is no principal (an inline connector's task needs none).
    public let writableByOthersMode: UInt32?
    /// The number of names (hard links) of a regular file that has more than this one, nil for
    /// one with one: whoever made another could keep it to put the task in `new/` again, as its
    /// owner's, after it ran (or made it while it could write the file), so its owner is no
    /// principal either.
    public let linkCount: UInt64?

    public init(
        name: String, fingerprint: FileFingerprint, contents: Contents, ownerUID: UInt32,
        writableByOthersMode: UInt32? = nil, linkCount: UInt64? = nil
    ) {
        self.name = name
        self.fingerprint = fingerprint
        self.contents = contents
        self.ownerUID = ownerUID
        self.writableByOthersMode = writableByOthersMode
        self.linkCount = linkCount
    }

    /// The task id the spool implies: the file name without `.json`.
    public var defaultID: String { SpoolName.stem(of: name) }
}
