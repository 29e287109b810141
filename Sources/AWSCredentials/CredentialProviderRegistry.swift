import AWSCore
import Foundation
import Logging
import SigV4
import Synchronization

/// Turns a connector's `CredentialSpec` into a provider, keeping one cached provider per
/// assumed-role session (role ARN, external ID, duration, STS endpoint) so that every task of a
/// connector shares one set of temporary credentials.
public final class CredentialProviderRegistry: Sendable {
    public static let maxCachedRoles = 256

    public let identity: IdentityProvider
    public let refStore: CredentialRefStore
    private let delegateName: String
    private let clock: any WallClock
    private let stsClient: @Sendable (String) -> AWSClient
    private let roles = Mutex<[RoleKey: CachingCredentialProvider]>([:])

    struct RoleKey: Hashable {
        var roleArn: String
        var externalId: String?
        var durationSeconds: Int
        var region: String
    }

    /// - Parameter stsClient: the STS client for a region (one per region, shared).
    public init(
        identity: IdentityProvider,
        refStore: CredentialRefStore,
        delegateName: String,
        clock: any WallClock = SystemWallClock(),
        stsClient: @escaping @Sendable (String) -> AWSClient
    ) {
        self.identity = identity
        self.refStore = refStore
        self.delegateName = delegateName
        self.clock = clock
        self.stsClient = stsClient
    }

    /// The provider for `spec`, for a connector in `region`. Access keys are read from their
    /// credential files on every call, so a rotated file takes effect at once.
    public func provider(for spec: CredentialSpec, region: String) throws(AWSError) -> any CredentialProvider {
        switch spec {
        case .instanceRole:
            return identity
        case .accessKey(let id, let idRef, let secretRef, let tokenRef):
            let accessKeyId: String
            if let id, !id.isEmpty {
                accessKeyId = id
            } else if let idRef {
                accessKeyId = try refStore.value(of: idRef)
            } else {
                throw AWSError.validation("InvalidTask", "an accessKey connector needs accessKeyId or accessKeyIdRef")
            }
            let secret = try refStore.value(of: secretRef)
            let token = try tokenRef.map { ref throws(AWSError) in try refStore.value(of: ref) }
            return StaticCredentialProvider(
                Credentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token))
        case .assumeRole(let roleArn, let externalId, let duration):
            let key = RoleKey(roleArn: roleArn, externalId: externalId, durationSeconds: duration, region: region)
            if let cached = roles.withLock({ $0[key] }) { return cached }
            let source = try AssumeRoleSource(
                roleArn: roleArn, externalId: externalId, durationSeconds: duration,
                delegateName: delegateName, base: identity, sts: stsClient(region)
            )
            let provider = CachingCredentialProvider(source: source, clock: clock)
            return roles.withLock { roles in
                if let raced = roles[key] { return raced }
                if roles.count >= Self.maxCachedRoles, let evicted = roles.keys.first {
                    roles.removeValue(forKey: evicted)
                }
                roles[key] = provider
                return provider
            }
        }
    }

    /// Expiry times of every cached temporary credential, for the status object.
    public func snapshots() async -> [CachingCredentialProvider.Snapshot] {
        var providers = roles.withLock { Array($0.values) }
        if let imds = identity.imds { providers.insert(imds, at: 0) }
        var result: [CachingCredentialProvider.Snapshot] = []
        for provider in providers { result.append(await provider.snapshot()) }
        return result
    }
}
