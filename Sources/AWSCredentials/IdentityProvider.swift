import AWSCore
import Logging
import SigV4

/// The delegate's own AWS identity: the sources of `[identity] sources`, tried in order.
///
/// `environment` counts only when its variables are set; `imds` is cached and refreshed by a
/// `CachingCredentialProvider`. Used for `instanceRole` connectors and as the base identity of
/// `assumeRole`.
public struct IdentityProvider: CredentialProvider {
    public enum Source: String, Sendable, CaseIterable {
        case environment
        case imds
    }

    private let chain: [any CredentialProvider]
    public let sourceNames: [String]
    /// The IMDS cache, when IMDS is one of the sources (for the status object).
    public let imds: CachingCredentialProvider?

    public init(
        sources: [Source], environment: [String: String], imds imdsSource: IMDSCredentialSource, clock: any WallClock
    ) {
        var chain: [any CredentialProvider] = []
        var names: [String] = []
        var imdsCache: CachingCredentialProvider?
        for source in sources {
            switch source {
            case .environment:
                let provider = EnvironmentCredentialProvider(environment: environment)
                if provider.isConfigured {
                    chain.append(provider)
                    names.append("environment")
                }
            case .imds:
                let cache = CachingCredentialProvider(source: imdsSource, clock: clock)
                imdsCache = cache
                chain.append(cache)
                names.append("imds")
            }
        }
        self.chain = chain
        self.sourceNames = names
        self.imds = imdsCache
    }

    public func credentials(logger: Logger) async throws -> Credentials {
        guard let first = chain.first else {
            throw AWSError.credentials(
                "the delegate has no identity: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and IMDS is not among [identity] sources",
                retryable: false
            )
        }
        return try await first.credentials(logger: logger)
    }

    public func invalidate() async {
        await chain.first?.invalidate()
    }
}
