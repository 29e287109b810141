import AWSCore
import Logging
import SigV4

/// The delegate's own AWS identity: the sources of `[identity] sources`, tried in order on every
/// call. The first that gives credentials wins; when one fails, the next is asked, and when all
/// fail the last failure is thrown.
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
        guard !chain.isEmpty else {
            throw AWSError.credentials(
                "the delegate has no identity: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and IMDS is not among [identity] sources",
                retryable: false
            )
        }
        for (index, provider) in chain.enumerated().dropLast() {
            do {
                return try await provider.credentials(logger: logger)
            } catch {
                if Task.isCancelled { throw error }
                logger.debug(
                    "identity source \(sourceNames[index]) failed, trying \(sourceNames[index + 1])",
                    metadata: ["error": "\(error)"])
            }
        }
        return try await chain[chain.count - 1].credentials(logger: logger)
    }

    /// Every source forgets what it cached: the caller cannot say which one gave the credentials
    /// AWS refused.
    public func invalidate() async {
        for provider in chain { await provider.invalidate() }
    }
}
