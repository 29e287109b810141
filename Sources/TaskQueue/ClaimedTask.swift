import FoundationEssentials

/// A task file this delegate has claimed: it now lives in `cur/<delegate>/` and no other delegate
/// will see it.
public struct ClaimedTask: Hashable, Sendable {
    /// The file name, e.g. `build-4711.json`.
    public let name: String
    /// The full path of the claimed file in `cur/<delegate>/`.
    public let path: String
    /// Found in `cur/<delegate>/` at start (``Spool/recoverClaimed()``): an earlier run claimed
    /// it and may have kept its result beside it. A task this run claims has none when claimed (a
    /// result is kept only beside a claimed file, a claim never moves a file onto a claimed one,
    /// and the recovery deletes kept results whose task is gone).
    public let recovered: Bool
    /// For one recovered: when the earlier run claimed it (its file's status change time), read
    /// before the start's recovery touched the file (an unlink of its other name, a rename), which
    /// stamps a new one. Nil if it could not be read then.
    public let claimedAt: Date?

    public init(name: String, path: String, recovered: Bool = false, claimedAt: Date? = nil) {
        self.name = name
        self.path = path
        self.recovered = recovered
        self.claimedAt = claimedAt
    }

    /// The path's bytes: what tells two claimed files apart (two names Swift finds equal, `é`
    /// composed and decomposed, are two files).
    var pathBytes: [UInt8] { Array(path.utf8) }

    /// The task id the spool implies: the file name without `.json`.
    public var defaultID: String { SpoolName.stem(of: name) }
}
