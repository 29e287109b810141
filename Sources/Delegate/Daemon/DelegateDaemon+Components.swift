import AWSCore
import AWSCredentials
import Foundation
import HTTP
import Logging
import Systemd
import TaskQueue

extension DelegateDaemon {
    /// The daemon's parts, wired from the configuration.
    struct Components: Sendable {
        let clock: any WallClock
        let notifier: any ServiceNotifier
        let clients: AWSClientPool
        let registry: CredentialProviderRegistry
        let dispatcher: TaskDispatcher
        let spool: Spool?
        let httpClientToShutDown: CurlHTTPClient?

        init(
            settings: Settings, notifier: any ServiceNotifier, logger: Logger, clock: any WallClock,
            httpClient: (any HTTPClient)?
        ) throws {
            let configuration = settings.configuration
            self.clock = clock
            self.notifier = notifier
            let http: any HTTPClient
            if let httpClient {
                http = httpClient
                httpClientToShutDown = nil
            } else {
                let curl = try CurlHTTPClient(
                    configuration: .init(
                        environment: settings.environment, userAgent: "secrets-delegate/\(DelegateVersion.current)"),
                    logger: logger)
                http = curl
                httpClientToShutDown = curl
            }
            let clients = AWSClientPool(settings: Self.poolSettings(configuration), http: http, clock: clock)
            self.clients = clients
            let imds = IMDSCredentialSource(
                http: http, endpoint: configuration.aws.imdsEndpoint, environment: settings.environment, clock: clock)
            let identity = IdentityProvider(
                sources: configuration.identity.sources.map { $0 == .environment ? .environment : .imds },
                environment: settings.environment, imds: imds, clock: clock)
            registry = CredentialProviderRegistry(
                identity: identity,
                refStore: CredentialRefStore(
                    environment: settings.environment, configuredDirectory: configuration.credentials.directory),
                delegateName: configuration.delegate.name,
                clock: clock,
                stsClient: { region in clients.sts(region: region) }
            )
            let executor = TaskExecutor(
                delegateName: configuration.delegate.name, clients: clients, credentials: registry, clock: clock)
            dispatcher = TaskDispatcher(
                executor: executor, selection: SelectionPolicy(configuration: configuration),
                concurrency: configuration.delegate.concurrency, clock: clock,
                status: DelegateStatus(startedAt: clock.now()))
            spool =
                configuration.queue.spoolDir.isEmpty
                ? nil
                : try Spool(
                    directory: configuration.queue.spoolDir, delegateName: configuration.delegate.name, logger: logger)
        }

        func apply(_ configuration: DelegateConfiguration) async {
            clients.update(Self.poolSettings(configuration))
            await dispatcher.apply(
                selection: SelectionPolicy(configuration: configuration),
                concurrency: configuration.delegate.concurrency)
        }

        static func poolSettings(_ configuration: DelegateConfiguration) -> AWSClientPool.Settings {
            AWSClientPool.Settings(
                secretsManagerEndpoint: configuration.aws.secretsManagerEndpoint,
                stsEndpoint: configuration.aws.stsEndpoint,
                options: AWSClientOptions(
                    maxAttempts: configuration.aws.maxAttempts,
                    connectTimeout: .milliseconds(Int(configuration.aws.connectTimeoutSeconds * 1000)),
                    requestTimeout: .milliseconds(Int(configuration.aws.requestTimeoutSeconds * 1000)),
                    userAgent: "secrets-delegate/\(DelegateVersion.current)"
                )
            )
        }
    }
}
