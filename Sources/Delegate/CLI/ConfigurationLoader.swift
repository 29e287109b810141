import FoundationEssentials
import DelegateClient

/// Finds and loads the configuration the way every subcommand does: `--config FILE` (which must
/// exist) or the default path (which may be missing: then defaults apply), plus the
/// `SECRETS_DELEGATE_*` overrides from the environment.
public struct ConfigurationLoader: Sendable {
    public var explicitPath: String?
    public var environment: [String: String]
    public var hostName: String
    /// The `SECRETS_DELEGATE_*` variables whose value is not UTF-8 (``notUTF8Overrides(in:)``):
    /// in `environment` each bad byte is U+FFFD, so such a value would name another path than the
    /// one given, silently. Refused, as such an argument is.
    public var notUTF8Overrides: [String]

    public init(
        explicitPath: String?, environment: [String: String], notUTF8Overrides: [String] = [],
        hostName: String = DelegateConfiguration.systemHostName()
    ) {
        self.explicitPath = explicitPath
        self.environment = environment
        self.notUTF8Overrides = notUTF8Overrides
        self.hostName = hostName
    }

    public var path: String { explicitPath ?? DelegateConfiguration.defaultPath }

    public func load() throws(ConfigurationError) -> DelegateConfiguration {
        if let name = notUTF8Overrides.first {
            throw ConfigurationError(
                key: nil,
                reason: "its value is not UTF-8: read as text it would name another path or value than the one given",
                origin: name)
        }
        return try DelegateConfiguration.load(
            path: path, requireFile: explicitPath != nil, environment: environment, hostName: hostName)
    }

    /// The names of the `SECRETS_DELEGATE_*` entries of `environment` (`NAME=value`, byte for
    /// byte) whose value is not UTF-8, in their order.
    public static func notUTF8Overrides(in environment: [[UInt8]]) -> [String] {
        let prefix = Array("SECRETS_DELEGATE_".utf8)
        return environment.compactMap { entry in
            guard entry.starts(with: prefix), let equals = entry.firstIndex(of: UInt8(ascii: "=")),
                String(validating: entry[(equals + 1)...], as: UTF8.self) == nil
            else { return nil }
            return String(decoding: entry[..<equals], as: UTF8.self)
        }
    }

    /// `check-config`: the effective configuration, or the error and status 78. A `connectors_dir`
    /// set (in the file or its variable) and missing, and drop-ins passed over, are warned of on
    /// stderr (status 0), as the daemon warns.
    public func check() -> CommandOutcome {
        do {
            let configuration = try load()
            var checked = CommandOutcome(output: configuration.renderTOML(), status: ExitStatus.success)
            if let warning = configuration.overriddenKeysWarning { checked = checked.adding("warning: \(warning)") }
            if let warning = configuration.passedOverDropInsWarning { checked = checked.adding("warning: \(warning)") }
            guard let missing = configuration.missingConnectorsDirectory else { return checked }
            return checked.adding(
                "warning: [delegate] connectors_dir \(missing) does not exist: no drop-in connectors are loaded")
        } catch {
            return .failure("configuration error: \(error)", status: ExitStatus.configuration)
        }
    }
}
