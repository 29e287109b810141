import AWSCredentials
import Logging
import Synchronization

/// The rate limiter's key for an assumed role's failed refresh (`credentials-refresh-failed`):
/// each named connector's role has its own (as many as the configuration declares), every other
/// role shares one. An inline connector's task chooses its role, so a producer's flood of failing
/// ones must not hide a named connector's role failing meanwhile.
final class RoleFailureLogKeys: Sendable {
    static let shared = "credentials-refresh-failed"
    private let namedRoleARNs: Mutex<Set<String>>

    init(_ configuration: DelegateConfiguration) {
        namedRoleARNs = Mutex(Self.roleARNs(configuration))
    }

    /// At a reload: the new configuration's named roles.
    func update(_ configuration: DelegateConfiguration) {
        let arns = Self.roleARNs(configuration)
        namedRoleARNs.withLock { $0 = arns }
    }

    /// The key for a failure logged with this metadata (its `credential_source`,
    /// `assume-role:<arn> (...)`).
    func key(for metadata: Logger.Metadata) -> String {
        guard let source = metadata["credential_source"].map({ "\($0)" }), source.hasPrefix("assume-role:") else {
            return Self.shared
        }
        let arn = String(source.dropFirst("assume-role:".count).prefix { $0 != " " })
        guard namedRoleARNs.withLock({ $0.contains(arn) }) else { return Self.shared }
        return Self.shared + " " + arn
    }

    private static func roleARNs(_ configuration: DelegateConfiguration) -> Set<String> {
        Set(
            configuration.connectors.values.compactMap { named in
                guard case .assumeRole(let role) = named.connector.credentials else { return nil }
                return role.roleARN
            })
    }
}
