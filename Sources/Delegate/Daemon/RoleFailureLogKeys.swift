import AWSCredentials
import Logging
import Synchronization

/// The rate limiter's key for an assumed role's failed refresh (`credentials-refresh-failed`):
/// each named connector's session (its role, region, duration and external id: the failure's
/// `credential_source`) has its own, as many as the configuration declares; every other session
/// shares one. An inline connector's task chooses its role and external id, so a producer's flood
/// of failing ones (the named role's own ARN with a wrong external id, say) must not hide a named
/// connector's failing meanwhile. (The source names an external id by 8 hex digits of its
/// SHA-256: an inline one made to match them would share the named session's key, which only
/// summarises its lines sooner.)
final class RoleFailureLogKeys: Sendable {
    static let shared = "credentials-refresh-failed"
    private let namedSources: Mutex<Set<String>>

    init(_ configuration: DelegateConfiguration) {
        namedSources = Mutex(Self.sources(configuration))
    }

    /// At a reload: the new configuration's named sessions.
    func update(_ configuration: DelegateConfiguration) {
        let sources = Self.sources(configuration)
        namedSources.withLock { $0 = sources }
    }

    /// The key for a failure logged with this metadata (its `credential_source`).
    func key(for metadata: Logger.Metadata) -> String {
        guard let source = metadata["credential_source"].map({ "\($0)" }),
            namedSources.withLock({ $0.contains(source) })
        else { return Self.shared }
        return Self.shared + " " + source
    }

    /// The names of the named connectors' sessions, as ``AssumeRoleSource`` gives them (in the
    /// region their STS calls are signed for).
    private static func sources(_ configuration: DelegateConfiguration) -> Set<String> {
        Set(
            configuration.connectors.values.compactMap { named in
                guard case .assumeRole(let role) = named.connector.credentials else { return nil }
                let region = AWSClientPool.stsRegion(
                    endpoint: configuration.aws.stsEndpoint, connectorRegion: named.connector.region)
                return AssumeRoleSource.name(of: role, region: region)
            })
    }
}
