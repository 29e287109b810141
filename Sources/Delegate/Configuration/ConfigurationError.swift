/// A configuration the delegate refuses to run with. The CLI exits with 78 (EX_CONFIG).
///
/// It names the key (`[queue] rescan_interval_seconds`) and, when the value came from the
/// environment, the variable, so an operator can fix it without guessing. The configuration
/// holds no secrets, but values are still quoted sparingly and URLs with user info never are.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key as `[section] key`, `[section]` for a whole section, or nil for a file that
    /// could not be read at all. A key from a file is preceded by the file's path (a TOML syntax
    /// error: the path alone).
    public let key: String?
    /// Why the value was refused.
    public let reason: String
    /// Where the value came from when not the file itself, e.g. `SECRETS_DELEGATE_AWS_MAX_ATTEMPTS`.
    public let origin: String?

    public init(key: String?, reason: String, origin: String? = nil) {
        self.key = key
        self.reason = reason
        self.origin = origin
    }

    /// The error with `file` in front of its key (a syntax error: as its key), unless the key
    /// already names it: how errors from the main file say which file they are about, as
    /// connector and `[[credential]]` errors and drop-ins' do.
    func naming(file: String) -> ConfigurationError {
        guard let key else { return ConfigurationError(key: file, reason: reason, origin: origin) }
        if key == file || key.hasPrefix(file + " ") { return self }
        return ConfigurationError(key: file + " " + key, reason: reason, origin: origin)
    }

    public var description: String {
        var text = ""
        if let key { text += key }
        if let origin { text += text.isEmpty ? origin : " (from \(origin))" }
        return text.isEmpty ? reason : text + ": " + reason
    }
}
