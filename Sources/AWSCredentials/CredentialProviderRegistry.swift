import AWSCore
import FoundationEssentials
import Logging
import SigV4
import Synchronization

/// Turns a connector's `CredentialSpec` into a provider, keeping one cached provider per
/// assumed-role session (role ARN, external ID, duration, region) so that every task of a
/// connector shares one set of temporary credentials.
///
/// A reload replaces the delegate's identity or the credential directories in place
/// (``replaceIdentity(_:)``, ``replaceRefStore(_:)``); tasks already running keep the provider
/// they were given.
public final class CredentialProviderRegistry: Sendable {
    /// Room in the cache of sessions for inline connectors' roles (tasks choose them), besides
    /// one per role of the named connectors (``forgetRoles(keeping:)``): one least-recently-used
    /// cache, so many inline roles at once can still push out a named connector's session.
    public static let maxCachedRoles = 256

    /// An empty cache of sessions with room for `namedRoles` besides ``maxCachedRoles``.
    private static func roleCache(namedRoles: Int) -> RecentlyUsedCache<RoleSession, CachingCredentialProvider> {
        RecentlyUsedCache(capacity: maxCachedRoles + max(0, namedRoles))
    }

    /// Logs an assumed-role session's failed refresh. `named`: the session's name
    /// (``AssumeRoleSource/name``) when it is one of the named connectors' sessions, nil for an
    /// inline connector's (a task chooses its role and external id, and so how many fail).
    public typealias RoleFailureLog =
        @Sendable (_ message: String, _ metadata: Logger.Metadata, _ named: String?, _ logger: Logger) -> Void

    private let delegateName: String
    private let clock: any WallClock
    private let refreshLogger: Logger?
    private let roleFailureLog: RoleFailureLog?
    private let stsClient: @Sendable (String) -> AWSClient
    private let state: Mutex<State>

    /// One assumed-role session: a role (ARN, external id, duration) for connectors of a region.
    public struct RoleSession: Hashable, Sendable {
        public var role: AssumeRoleCredentials
        public var region: String

        public init(role: AssumeRoleCredentials, region: String) {
            self.role = role
            self.region = region
        }
    }

    private struct State {
        var identity: IdentityProvider
        var refStore: CredentialRefStore
        /// Assumed-role sessions; an inline connector's task chooses its role, so the least
        /// recently used is dropped to make room.
        var roles: RecentlyUsedCache<RoleSession, CachingCredentialProvider>
        /// The named connectors' sessions: room kept for them, and their failures logged as theirs.
        var named: Set<RoleSession>
        /// Counts ``forgetRoles(keeping:)`` calls, so that a session built from an identity or STS client
        /// that was replaced meanwhile is handed out once but never cached.
        var generation = 0
    }

    /// - Parameters:
    ///   - stsClient: the STS client for a region (one per region, shared).
    ///   - logger: what assumed-role sessions' shared refreshes log with (the daemon's).
    ///   - roleFailureLog: logs an assumed-role session's failed refresh (the daemon's: through its
    ///     rate limit, a named connector's session under a key of its own, so that a producer's
    ///     flood of failing inline roles does not hide it); nil: at once.
    ///   - namedRoles: the sessions the named connectors' roles need: room kept besides
    ///     ``maxCachedRoles``, so that more roles than that, used in turn, do not each push out the
    ///     next one needed and assume their role again at every task.
    public init(
        identity: IdentityProvider,
        refStore: CredentialRefStore,
        delegateName: String,
        clock: any WallClock = SystemWallClock(),
        logger: Logger? = nil,
        roleFailureLog: RoleFailureLog? = nil,
        namedRoles: Set<RoleSession> = [],
        stsClient: @escaping @Sendable (String) -> AWSClient
    ) {
        self.state = Mutex(
            State(
                identity: identity, refStore: refStore,
                roles: Self.roleCache(namedRoles: namedRoles.count), named: namedRoles))
        self.delegateName = delegateName
        self.clock = clock
        self.refreshLogger = logger
        self.roleFailureLog = roleFailureLog
        self.stsClient = stsClient
    }

    /// The delegate's own identity (`instanceRole` connectors, base of `assumeRole`).
    public var identity: IdentityProvider { state.withLock { $0.identity } }

    /// Where credential refs are read from.
    public var refStore: CredentialRefStore { state.withLock { $0.refStore } }

    /// Makes `identity` the delegate's identity from now on. Nothing cached under the old one is
    /// served again: its credentials went with it, and every assumed-role session is forgotten,
    /// since the old identity assumed it.
    public func replaceIdentity(_ identity: IdentityProvider) {
        state.withLock { state in
            state.identity = identity
            state.roles.removeAll()
            state.generation += 1
        }
    }

    /// Reads credential refs from `refStore` from now on.
    public func replaceRefStore(_ refStore: CredentialRefStore) {
        state.withLock { $0.refStore = refStore }
    }

    /// Forgets every cached assumed-role session, so that the next task of each connector assumes
    /// its role again through the current STS client (after a reload changed the STS endpoint or
    /// the client limits).
    /// - Parameter namedRoles: the sessions the named connectors now in force need (see
    ///   ``init(identity:refStore:delegateName:clock:logger:roleFailureLog:namedRoles:stsClient:)``).
    public func forgetRoles(keeping namedRoles: Set<RoleSession> = []) {
        state.withLock { state in
            state.roles = Self.roleCache(namedRoles: namedRoles.count)
            state.named = namedRoles
            state.generation += 1
        }
    }

    /// The provider for `spec`, for a connector in `region`, and who it signs as. Access keys come
    /// from their credential files on every call (read again whenever a file changed), so a
    /// rotated file takes effect at once.
    public func resolve(_ spec: CredentialSpec, region: String) throws(AWSError) -> ResolvedCredentials {
        // One read, so that a session built below from this identity is cached only while it is
        // still the identity.
        let (identity, refStore, generation, named) = state.withLock {
            ($0.identity, $0.refStore, $0.generation, $0.named)
        }
        switch spec {
        case .instanceRole:
            return ResolvedCredentials(provider: identity, principal: .identity(serial: identity.serial))
        case .accessKey(let key):
            let accessKeyId: String
            switch key.accessKeyID {
            case .plain(let id): accessKeyId = id
            case .ref(let ref):
                accessKeyId = try refStore.value(of: ref)
                // Signed in the clear into every request's Authorization header, which AWS may
                // quote in an error: never a secret key or token from the wrong file.
                guard AccessKeyCredentials.isValidKeyID(accessKeyId) else {
                    throw AWSError.credentials(
                        "credential \(CredentialRefStore.shown(ref: ref)) is no access key id (1-128 letters and digits, not 40 with a lowercase letter); "
                            + "is it the secret key's or the session token's file?",
                        retryable: false)
                }
            }
            let secret = try refStore.value(of: key.secretAccessKeyRef)
            let token = try key.sessionTokenRef.map { ref throws(AWSError) in try refStore.value(of: ref) }
            return ResolvedCredentials(
                provider: StaticCredentialProvider(
                    Credentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token)),
                principal: .accessKey(id: accessKeyId))
        case .assumeRole(let role):
            let key = RoleSession(role: role, region: region)
            return ResolvedCredentials(
                provider: try session(key, identity: identity, generation: generation, named: named),
                principal: .role(key))
        }
    }

    /// The cached provider of the assumed-role session `key`, or a new one, cached unless a
    /// reload forgot the sessions since `generation` was read.
    private func session(
        _ key: RoleSession, identity: IdentityProvider, generation: Int, named: Set<RoleSession>
    ) throws(AWSError) -> CachingCredentialProvider {
        if let cached = state.withLock({ $0.roles.value(for: key) }) { return cached }
        let source = try AssumeRoleSource(
            role: key.role, delegateName: delegateName, base: identity, sts: stsClient(key.region))
        let provider = CachingCredentialProvider(
            source: source, clock: clock, refreshLogger: refreshLogger,
            failureLog: roleFailureLog.map { log in
                let name = named.contains(key) ? source.name : nil
                return { message, metadata, logger in log(message, metadata, name, logger) }
            })
        return state.withLock { state in
            guard state.generation == generation else { return provider }
            if let raced = state.roles.value(for: key) { return raced }
            state.roles.store(provider, for: key)
            return provider
        }
    }

    /// Expiry times of every cached temporary credential, for the status object: one per session
    /// held or failed to get. A source never asked (IMDS while environment credentials serve, or
    /// before the first call) holds nothing and has failed nothing: not listed, lest it be taken
    /// for the identity in use.
    public func snapshots() async -> [CachingCredentialProvider.Snapshot] {
        let (identity, roles) = state.withLock { ($0.identity, $0.roles.values) }
        var providers = roles
        if let imds = identity.imds { providers.insert(imds, at: 0) }
        var result: [CachingCredentialProvider.Snapshot] = []
        for provider in providers {
            let snapshot = await provider.snapshot()
            if snapshot.expiration != nil || snapshot.lastError != nil { result.append(snapshot) }
        }
        return result
    }
}
