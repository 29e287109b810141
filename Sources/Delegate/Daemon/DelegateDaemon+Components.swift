import AWSCore
import AWSCredentials
import FoundationEssentials
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
        /// The named connectors' read cache (section 14).
        let cache: SecretCache
        let httpClientToShutDown: CurlHTTPClient?
        /// What a reload needs to build a new identity.
        private let http: any HTTPClient
        private let environment: [String: String]
        private let logLimiter: LogRateLimiter

        init(
            settings: Settings, notifier: any ServiceNotifier, logger: Logger, logLimiter: LogRateLimiter,
            clock: any WallClock, httpClient: (any HTTPClient)?
        ) throws {
            let configuration = settings.configuration
            self.clock = clock
            self.notifier = notifier
            let http: any HTTPClient
            if let httpClient {
                http = httpClient
                httpClientToShutDown = nil
            } else {
                // Started at the first AWS call: until then the delegate maps neither libcurl nor
                // its libraries nor runs the engine's thread (about 6 MB less resident memory, with
                // the OpenSSL start-up libcurl runs).
                let curl = try CurlHTTPClient(
                    configuration: .init(
                        environment: settings.environment, userAgent: "secrets-delegate/\(DelegateVersion.current)"),
                    logger: logger, start: .atFirstRequest)
                http = curl
                httpClientToShutDown = curl
            }
            self.http = http
            self.environment = settings.environment
            self.logLimiter = logLimiter
            let clients = AWSClientPool(settings: Self.poolSettings(configuration), http: http, clock: clock)
            self.clients = clients
            registry = CredentialProviderRegistry(
                identity: Self.identity(
                    configuration, environment: settings.environment, http: http, clock: clock, logger: logger,
                    logLimiter: logLimiter),
                refStore: CredentialRefStore(
                    environment: settings.environment, configuredDirectory: configuration.credentials.directory,
                    clock: clock),
                delegateName: configuration.delegate.name,
                clock: clock,
                logger: logger,
                roleFailureLog: { message, metadata, named, logger in
                    logLimiter.warning(message, metadata: metadata, key: Self.roleFailureKey(named), logger: logger)
                },
                namedRoles: Self.namedRoles(configuration),
                stsClient: { region in clients.sts(region: region) }
            )
            // Ages on the continuous clock: a wall clock stepped back keeps nothing fresh longer.
            cache = SecretCache(clock: ElapsedTimeClock())
            let executor = TaskExecutor(
                delegateName: configuration.delegate.name, clients: clients, credentials: registry, clock: clock,
                cache: cache)
            dispatcher = TaskDispatcher(
                executor: executor, selection: SelectionPolicy(configuration: configuration),
                concurrency: configuration.delegate.concurrency, clock: clock,
                status: DelegateStatus(startedAt: clock.now()))
            Self.updateConnectors(dispatcher.connectors, from: configuration, logger: logger)
            cache.update(connectors: configuration.connectors)
            spool =
                configuration.queue.spoolDir.isEmpty
                ? nil
                : try Spool(
                    directory: configuration.queue.spoolDir, delegateName: configuration.delegate.name,
                    maximumTaskBytes: DelegateTask.maximumSize, logger: logger, logLimiter: logLimiter)
        }

        /// Applies what a reload changed from `old` to `configuration`. Tasks in flight keep the
        /// clients and credential providers they already have.
        /// - Parameter publish: makes `configuration` the one in force (and applies what else the
        ///   caller has to); called before the concurrency is raised, so a task or queue loop a new
        ///   slot wakes reads the new settings, never the ones they replace.
        func apply(
            _ configuration: DelegateConfiguration, replacing old: DelegateConfiguration, logger: Logger,
            publish: () -> Void
        ) {
            // The connectors' users and groups looked up first, before anything changes (a
            // directory service may take seconds): the clients, credentials and connectors below
            // then change one right after the other, so that a task admitted meanwhile does not
            // pair the old connectors with the new clients (another region's endpoint, a renamed
            // credential file) for as long as the lookups took.
            let connectors = Self.prepareConnectors(dispatcher.connectors, from: configuration)
            let pool = Self.poolSettings(configuration)
            // New settings drop the clients; the same ones keep them, less the signing keys they
            // derived: a secret key replaced in a credential file (read again below) or revoked
            // is not kept in memory, derived, for days.
            if pool != Self.poolSettings(old) {
                clients.update(pool)  // the old clients, their keys with them, go with the tasks holding them
            } else {
                clients.forgetSigningKeys()
                // And again once the tasks in flight have ended: they keep signing, through these
                // same clients, with the credentials they read before the reload, so a key of a
                // replaced secret may be derived and kept again meanwhile.
                let clients = clients
                dispatcher.inFlight.whenRunningNowHaveLeft { clients.forgetSigningKeys() }
            }
            // Every reload forgets the cached assumed-role sessions (tasks in flight keep theirs):
            // they hold an STS client built under the settings in force, and a role's sessions
            // revoked in IAM (after a leak, say) are refused until they end, up to 12 hours, where
            // `systemctl reload` is what an operator reaches for. The next task assumes the role
            // again.
            registry.forgetRoles(keeping: Self.namedRoles(configuration))
            if configuration.aws.imdsEndpoint != old.aws.imdsEndpoint
                || configuration.identity.sources != old.identity.sources
            {
                registry.replaceIdentity(
                    Self.identity(
                        configuration, environment: environment, http: http, clock: clock, logger: logger,
                        logLimiter: logLimiter))
                // Another identity may read less: what the old one read for `instanceRole`
                // connectors is never served under the new one (the cache's principal), and goes
                // now rather than at its expiry.
                cache.invalidate(
                    connectorIDs: configuration.connectors.values.filter { $0.connector.credentials == .instanceRole }
                        .map(\.id))
            }
            // Always a new store, even for the same directory: a reload reads every credential
            // file again.
            registry.replaceRefStore(
                CredentialRefStore(
                    environment: environment, configuredDirectory: configuration.credentials.directory, clock: clock))
            // A connector that changed or went away forgets what it cached, before tasks are
            // admitted under the new table: one admitted in between would find what the old
            // table's credentials read.
            cache.update(connectors: configuration.connectors)
            // The tags before the connectors: the connectors' new generation is what makes a task
            // waiting for a slot be admitted (and matched) again, which must find the new tags.
            // The concurrency last: the tasks a raised limit starts at once are admitted again
            // under the new table, not run under the one it replaces.
            dispatcher.apply(selection: SelectionPolicy(configuration: configuration))
            dispatcher.connectors.install(connectors)
            Self.logNotices(of: connectors, in: dispatcher.connectors, logger: logger)
            publish()
            dispatcher.apply(concurrency: configuration.delegate.concurrency)
        }

        /// The assumed-role sessions the named connectors need: one per role (with its external
        /// id and duration) and region.
        static func namedRoles(_ configuration: DelegateConfiguration) -> Set<CredentialProviderRegistry.RoleSession> {
            Set(
                configuration.connectors.values.compactMap { named in
                    guard case .assumeRole(let role) = named.connector.credentials else { return nil }
                    return CredentialProviderRegistry.RoleSession(role: role, region: named.connector.region)
                })
        }

        /// The rate limiter's key for an assumed role's failed refresh (`credentials-refresh-failed`):
        /// a named connector's session (`named`, ``CredentialProviderRegistry/RoleFailureLog``) has
        /// its own, every inline connector's shares one.
        static func roleFailureKey(_ named: String?) -> String {
            named.map { "credentials-refresh-failed " + $0 } ?? "credentials-refresh-failed"
        }

        /// `[identity] sources` through `[aws] imds_endpoint`, with a fresh IMDS cache.
        /// Its failed refreshes are rate-limited through `logLimiter` (the daemon's: through an
        /// IMDS outage a refresh is tried every 15 s while tasks come); a warning each without.
        static func identity(
            _ configuration: DelegateConfiguration, environment: [String: String], http: any HTTPClient,
            clock: any WallClock, logger: Logger, logLimiter: LogRateLimiter? = nil
        ) -> IdentityProvider {
            let imds = IMDSCredentialSource(
                http: http, endpoint: configuration.aws.imdsEndpoint, environment: environment, clock: clock)
            var failureLog: CachingCredentialProvider.FailureLog?
            if let logLimiter {
                failureLog = { message, metadata, logger in
                    logLimiter.warning(message, metadata: metadata, key: "identity-refresh-failed", logger: logger)
                }
            }
            return IdentityProvider(
                sources: configuration.identity.sources,
                environment: environment, imds: imds, clock: clock, logger: logger, failureLog: failureLog)
        }

        /// Installs the configured connectors (at start and on reload) and logs what an operator
        /// should know about them.
        static func updateConnectors(
            _ catalog: ConnectorCatalog, from configuration: DelegateConfiguration, logger: Logger
        ) {
            let prepared = prepareConnectors(catalog, from: configuration)
            catalog.install(prepared)
            logNotices(of: prepared, in: catalog, logger: logger)
        }

        static func prepareConnectors(
            _ catalog: ConnectorCatalog, from configuration: DelegateConfiguration
        ) -> ConnectorCatalog.Prepared {
            catalog.prepare(
                connectors: configuration.connectors, allowInline: configuration.delegate.allowInlineConnectors,
                credentialMappings: configuration.credentialMappings)
        }

        /// The prepared catalog's notices, and the catalog's warning about inline connectors.
        static func logNotices(of prepared: ConnectorCatalog.Prepared, in catalog: ConnectorCatalog, logger: Logger) {
            for notice in prepared.notices { logger.warning("\(notice)", metadata: ["event": "connector-notice"]) }
            if let notice = catalog.inlineConnectorsNotice {
                logger.warning("\(notice)", metadata: ["event": "inline-connectors-allowed"])
            }
        }

        static func poolSettings(_ configuration: DelegateConfiguration) -> AWSClientPool.Settings {
            AWSClientPool.Settings(
                secretsManagerEndpoint: configuration.aws.secretsManagerEndpoint,
                stsEndpoint: configuration.aws.stsEndpoint,
                options: awsOptions(configuration)
            )
        }

        /// `[aws]`'s attempts and timeouts (to the millisecond), for the daemon's clients and
        /// `submit --sqs`'s alike.
        static func awsOptions(_ configuration: DelegateConfiguration) -> AWSClientOptions {
            AWSClientOptions(
                maxAttempts: configuration.aws.maxAttempts,
                connectTimeout: .milliseconds(Int(configuration.aws.connectTimeoutSeconds * 1000)),
                requestTimeout: .milliseconds(Int(configuration.aws.requestTimeoutSeconds * 1000)),
                userAgent: "secrets-delegate/\(DelegateVersion.current)"
            )
        }
    }
}
