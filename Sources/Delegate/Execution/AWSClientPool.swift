import AWSCore
import HTTP
import Synchronization

/// One `AWSClient` per service endpoint (service, region, URL), shared by every task that uses it,
/// so retry budgets, learned clock skew and signing-key caches are per endpoint as in the SDKs.
public final class AWSClientPool: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `[aws] secretsmanager_endpoint`; empty for AWS's regional endpoint.
        public var secretsManagerEndpoint: String
        /// `[aws] sts_endpoint`; empty for `https://sts.<region>.amazonaws.com`.
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
    private let state: Mutex<(settings: Settings, clients: [AWSServiceEndpoint: AWSClient])>

    public init(settings: Settings, http: any HTTPClient, clock: any WallClock) {
        self.http = http
        self.clock = clock
        self.state = Mutex((settings, [:]))
    }

    /// Applies new endpoints and limits (a reload); clients built under the old ones are dropped,
    /// tasks in flight keep the client they already have.
    public func update(_ settings: Settings) {
        state.withLock { state in
            guard state.settings != settings else { return }
            state = (settings, [:])
        }
    }

    public func secretsManager(region: String) -> AWSClient {
        client { settings in AWSServiceEndpoint(signingName: "secretsmanager", region: region, url: settings.secretsManagerEndpoint) }
    }

    public func sts(region: String) -> AWSClient {
        client { settings in AWSServiceEndpoint(signingName: "sts", region: region, url: settings.stsEndpoint) }
    }

    /// A client for SQS at `endpoint`; its request timeout leaves room for a long poll's wait
    /// (at most 20 s) besides `[aws] request_timeout_seconds`.
    public func sqs(_ endpoint: AWSServiceEndpoint) -> AWSClient {
        client({ _ in endpoint }, longPollSeconds: 20)
    }

    private func client(_ endpoint: (Settings) -> AWSServiceEndpoint, longPollSeconds: Int = 0) -> AWSClient {
        state.withLock { state in
            let key = endpoint(state.settings)
            if let existing = state.clients[key] { return existing }
            var options = state.settings.options
            options.requestTimeout += .seconds(longPollSeconds)
            let created = AWSClient(endpoint: key, options: options, httpClient: http, clock: clock)
            state.clients[key] = created
            return created
        }
    }
}
