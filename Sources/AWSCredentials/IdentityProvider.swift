import AWSCore
import FoundationEssentials
import Logging
import SigV4
import Synchronization

/// The delegate's own AWS identity: the sources of `[identity] sources`, tried in order on every
/// call. The first that gives credentials wins; when one fails, the next is asked, and when all
/// fail the last failure is thrown. A source that failed is passed over for
/// ``RefreshPolicy/retryAfterFailure`` (15 s), so that calls do not each wait for, say, an
/// unreachable IMDS before the next source answers.
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
    private let clock: any WallClock
    /// Per source: when it last failed.
    private let state: SourceState
    public let sourceNames: [String]
    /// The IMDS cache, when IMDS is one of the sources (for the status object).
    public let imds: CachingCredentialProvider?
    /// Why there is no identity, when no source can give one.
    private let noIdentity: String
    /// Tells this identity from every other made in this process (a reload makes a new one):
    /// what one identity read is not served to another (the read cache's principal).
    public let serial: UInt64
    private static let made = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - logger: what the IMDS cache's shared refreshes log with (the daemon's).
    ///   - failureLog: how the IMDS cache's failed refreshes are logged (the daemon rate-limits
    ///     them: through an IMDS outage a refresh is tried every 15 s); a warning each when nil.
    public init(
        sources: [Source], environment: [String: String], imds imdsSource: IMDSCredentialSource, clock: any WallClock,
        logger: Logger? = nil, failureLog: CachingCredentialProvider.FailureLog? = nil
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
                let cache = CachingCredentialProvider(
                    source: imdsSource, clock: clock, refreshLogger: logger, failureLog: failureLog)
                imdsCache = cache
                chain.append(cache)
                names.append("imds")
            }
        }
        self.chain = chain
        self.clock = clock
        self.state = SourceState(count: chain.count)
        self.sourceNames = names
        self.imds = imdsCache
        self.serial = Self.made.add(1, ordering: .relaxed).newValue
        self.noIdentity =
            sources.isEmpty
            ? "the delegate has no identity: [identity] sources is empty"
            : "the delegate has no identity: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and IMDS is not among [identity] sources"
    }

    private final class SourceState: Sendable {
        struct Values {
            var failedAt: [Date?]
        }
        let values: Mutex<Values>
        init(count: Int) { values = Mutex(Values(failedAt: Array(repeating: nil, count: count))) }
    }

    public func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        guard !chain.isEmpty else {
            throw AWSError.credentials(noIdentity, retryable: false)
        }
        let now = clock.now()
        let pause = RefreshPolicy.retryAfterFailure
        let failedAt = state.values.withLock { $0.failedAt }
        for (index, provider) in chain.enumerated() {
            let isLast = index == chain.count - 1
            // A clock set back since the failure ends the pause (how long it lasted is unknown):
            // else the source would be passed over for as long as the clock went back.
            if !isLast, let failed = failedAt[index], now >= failed, now.timeIntervalSince(failed) < pause { continue }
            do {
                let credentials = try await provider.credentials(logger: logger)
                state.values.withLock { $0.failedAt[index] = nil }
                return credentials
            } catch {
                if Task.isCancelled || isLast { throw error }
                state.values.withLock { $0.failedAt[index] = now }
                logger.debug(
                    "identity source \(sourceNames[index]) failed, trying the next",
                    metadata: ["error": "\(error)"])
            }
        }
        throw AWSError.credentials("no identity source answered", retryable: true)  // not reached: the last one throws
    }

    /// The source holding the refused credentials forgets them; false when one cannot (the
    /// environment's, fixed until a restart).
    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool {
        var renewed = true
        for provider in chain where !(await provider.invalidate(accessKeyID: accessKeyID)) { renewed = false }
        return renewed
    }
}
