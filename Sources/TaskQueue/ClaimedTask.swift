/// A task file this delegate has claimed: it now lives in `cur/<delegate>/` and no other delegate
/// will see it.
public struct ClaimedTask: Hashable, Sendable {
    /// The file name, e.g. `build-4711.json`.
    public let name: String
    /// The full path of the claimed file in `cur/<delegate>/`.
    public let path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// The task id the spool implies: the file name without `.json`.
    public var defaultID: String { SpoolName.stem(of: name) }
}
