import FoundationEssentials
import DelegateClient

/// Finds and loads the configuration the way every subcommand does: `--config FILE` (which must
/// exist) or the default path (which may be missing: then defaults apply), plus the
/// `SECRETS_DELEGATE_*` overrides from the environment.
public struct ConfigurationLoader: Sendable {
    public var explicitPath: String?
    public var environment: [String: String]
    public var hostName: String

    public init(explicitPath: String?, environment: [String: String], hostName: String = DelegateConfiguration.systemHostName()) {
        self.explicitPath = explicitPath
        self.environment = environment
        self.hostName = hostName
    }

    public var path: String { explicitPath ?? DelegateConfiguration.defaultPath }

    public func load() throws(ConfigurationError) -> DelegateConfiguration {
        try DelegateConfiguration.load(path: path, requireFile: explicitPath != nil, environment: environment, hostName: hostName)
    }

    /// `check-config`: the effective configuration, or the error and status 78.
    public func check() -> CommandOutcome {
        do {
            let configuration = try load()
            return CommandOutcome(output: configuration.renderTOML(), status: ExitStatus.success)
        } catch {
            return .failure("configuration error: \(error)", status: ExitStatus.configuration)
        }
    }
}
