import AWSCore
import HTTP
import Synchronization

/// One `AWSClient` per service endpoint (service, region, URL), shared by every task that uses it,
/// so retry budgets, learned clock skew and signing-key caches are per endpoint as in the SDKs.
public final class AWSClientPool: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `[aws] secretsmanager_endpoint`; empty for AWS's regional endpoint.
        public var secretsManagerEndpoint: String
        /// `[aws] sts_endpoint`; empty for the region's STS endpoint (in its partition's domain).
        public var stsEndpoint: String
        public var options: AWSClientOptions

        public init(secretsManagerEndpoint: String = "", stsEndpoint: String = "", options: AWSClientOptions = AWSClientOptions()) {
            self.secretsManagerEndpoint = secretsManagerEndpoint
            self.stsEndpoint = stsEndpoint
            self.options = options
        }
    }

    private let http: any HTTPClient
    private let clock: any WallClock
    /// A client is per endpoint and per request timeout (SQS's long polls get more time). Secrets
    /// Manager's and STS's endpoints follow from the region and the settings in force (a change of
    /// settings empties the pool), so their keys are the region: looking one up per task builds
    /// no endpoint and hashes one string.
    private enum Key: Hashable {
        case secretsManager(region: String)
        case sts(region: String)
        case sqs(AWSServiceEndpoint, longPollSeconds: Int)

        /// What the client's request timeout adds for a long poll's wait.
        var longPollSeconds: Int {
            if case .sqs(_, let seconds) = self { return seconds }
            return 0
        }
    }

    /// The settings, the region a Secrets Manager override's host names (read once per settings,
    /// not per task), and the clients.
    private let state: Mutex<(settings: Settings, overrideRegion: String?, clients: RecentlyUsedCache<Key, AWSClient>)>

    public init(settings: Settings, http: any HTTPClient, clock: any WallClock) {
        self.http = http
        self.clock = clock
        self.state = Mutex(
            (settings, Self.overrideRegion(settings), RecentlyUsedCache(capacity: Self.maximumClients)))
    }

    private static func overrideRegion(_ settings: Settings) -> String? {
        AmazonHost.signingRegion(ofURL: settings.secretsManagerEndpoint, service: "secretsmanager")
    }

    /// Applies new endpoints and limits (a reload); clients built under the old ones are dropped,
    /// tasks in flight keep the client they already have.
    public func update(_ settings: Settings) {
        state.withLock { state in
            guard state.settings != settings else { return }
            state.settings = settings
            state.overrideRegion = Self.overrideRegion(settings)
            state.clients.removeAll()
        }
    }

    /// Why `endpoint`, an `[aws] secretsmanager_endpoint`, cannot serve a connector of `region`:
    /// its host names another region (a regional or VPC endpoint of Secrets Manager), whose
    /// secrets it holds and whose signature it requires; nil when it may (no override, or an
    /// emulator's or a proxy's host, which names none).
    public static func secretsManagerRegionProblem(endpoint: String, region: String) -> String? {
        regionProblem(endpoint: endpoint, served: AmazonHost.signingRegion(ofURL: endpoint, service: "secretsmanager"), region: region)
    }

    /// ``secretsManagerRegionProblem(endpoint:region:)`` under the settings in force: per task,
    /// one string compared under the lock (the override's region was read with the settings).
    public func secretsManagerRegionProblem(region: String) -> String? {
        let (endpoint, served) = state.withLock { ($0.settings.secretsManagerEndpoint, $0.overrideRegion) }
        return Self.regionProblem(endpoint: endpoint, served: served, region: region)
    }

    private static func regionProblem(endpoint: String, served: String?, region: String) -> String? {
        guard let served, served != region else { return nil }
        return "[aws] secretsmanager_endpoint (\(URLParts(endpoint).host ?? "")) is Secrets Manager in \(served), which serves "
            + "that region's secrets only, and the connector is in \(region)"
    }

    public func secretsManager(region: String) -> AWSClient {
        client(.secretsManager(region: region)) { settings in
            AWSServiceEndpoint(signingName: "secretsmanager", region: region, url: settings.secretsManagerEndpoint)
        }
    }

    /// STS for a connector of `region`. An `[aws] sts_endpoint` whose host names a region (a
    /// regional or VPC endpoint of STS; the global `sts.amazonaws.com` signs as us-east-1) is
    /// signed for that region, as it requires: a regional endpoint's credentials serve every
    /// region of its partition (the global endpoint's, those enabled by default, unless the
    /// account's global tokens are version 2).
    public func sts(region: String) -> AWSClient {
        client(.sts(region: region)) { settings in
            AWSServiceEndpoint(
                signingName: "sts", region: AmazonHost.signingRegion(ofURL: settings.stsEndpoint, service: "sts") ?? region,
                url: settings.stsEndpoint)
        }
    }

    /// A client for SQS at `endpoint`. For `ReceiveMessage` (`longPoll`) its request timeout
    /// leaves room for a long poll's wait (at most 20 s) besides `[aws] request_timeout_seconds`;
    /// every other call (a lease extension, a result, a delete) gets the plain timeout, so a hung
    /// connection costs a lease no more than it must.
    public func sqs(_ endpoint: AWSServiceEndpoint, longPoll: Bool = false) -> AWSClient {
        client(.sqs(endpoint, longPollSeconds: longPoll ? 20 : 0)) { _ in endpoint }
    }

    /// The client for `key`, made with `endpoint` under the settings in force when there is none.
    private func client(_ key: Key, endpoint: (Settings) -> AWSServiceEndpoint) -> AWSClient {
        state.withLock { state in
            if let existing = state.clients.value(for: key) { return existing }
            var options = state.settings.options
            options.requestTimeout += .seconds(key.longPollSeconds)
            let created = AWSClient(endpoint: endpoint(state.settings), options: options, httpClient: http, clock: clock)
            // Whoever can send tasks chooses their region or replyTo, each a new endpoint: the pool
            // is bounded, and drops the client used least recently to make room (callers keep the
            // clients they hold), so a stream of new endpoints never costs the ones in use.
            state.clients.store(created, for: key)
            return created
        }
    }

    /// Every client forgets the signing keys it derived (a reload: a secret key replaced in a
    /// credential file, or revoked, is not kept in memory for days with them).
    public func forgetSigningKeys() {
        for client in state.withLock({ $0.clients.values }) { client.forgetSigningKeys() }
    }

    /// The most clients kept at once.
    static let maximumClients = 256

    /// How many clients are kept now (for tests).
    var clientCount: Int { state.withLock { $0.clients.count } }
}
