import DelegateClient

/// One `[[credential]]` entry of `delegate.toml` (docs/INTERFACE.md section 11): which secret a
/// systemd unit receives for one `LoadCredential=` id through the credentials socket.
public struct CredentialMapping: Sendable, Equatable {
    /// The unit asking (`app.service`), or `*` for any unit.
    public var unit: String
    /// The `LoadCredential=` id.
    public var id: String
    /// A named connector (section 9); its `allowed_units` must admit the unit.
    public var connector: String
    /// The secret's name relative to the connector's prefix, `#key` allowed.
    public var secret: String
    /// Which version to read; `current` when neither `version_id` nor `version_stage` is set.
    public var version: SecretFetcher.Version

    public init(unit: String, id: String, connector: String, secret: String, version: SecretFetcher.Version = .current) {
        self.unit = unit
        self.id = id
        self.connector = connector
        self.secret = secret
        self.version = version
    }

    /// The unit that stands for every unit.
    public static let anyUnit = "*"

    /// The entry for `unit`'s credential `id`: an entry naming the unit exactly, else a `*` entry.
    public static func find(unit: String, id: String, in mappings: [CredentialMapping]) -> CredentialMapping? {
        mappings.first { $0.unit == unit && $0.id == id }
            ?? mappings.first { $0.unit == anyUnit && $0.id == id }
    }

    /// Whether `id` is a credential id systemd accepts (`credential_name_valid()`: a valid file
    /// name and a valid `$LISTEN_FDNAMES` name): 1-255 printable ASCII characters, no `/` or `:`,
    /// not `.` or `..`.
    public static func isValidID(_ id: String) -> Bool {
        (1...255).contains(id.utf8.count) && id != "." && id != ".."
            && id.utf8.allSatisfy { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }
    }
}
