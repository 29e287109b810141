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
        /// A regular file its group or others may write (`mode`, the permission bits): another
        /// producer could have written what its owner's name would run as. Not read.
        case writableByOthers(mode: UInt32)
    }

    /// The file name in the spool, e.g. `build-4711.json`.
    public let name: String
    /// Identifies this version of the file (for ``SpoolWatcher/markSkipped(_:fingerprint:epoch:)``).
    public let fingerprint: FileFingerprint
    public let contents: Contents
    /// The file's owner, from the same `fstat` (or `lstat`) as the read: the task's principal.
    public let ownerUID: UInt32

    public init(name: String, fingerprint: FileFingerprint, contents: Contents, ownerUID: UInt32) {
        self.name = name
        self.fingerprint = fingerprint
        self.contents = contents
        self.ownerUID = ownerUID
    }

    /// The task id the spool implies: the file name without `.json`.
    public var defaultID: String { SpoolName.stem(of: name) }
}
