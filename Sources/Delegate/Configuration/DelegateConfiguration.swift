import AWSCredentials
import Logging
import SafeText

/// The delegate's effective configuration: `/etc/secrets-delegate/delegate.toml` with
/// `SECRETS_DELEGATE_<SECTION>_<KEY>` environment overrides applied (docs/INTERFACE.md section 2).
///
/// `load` returns only a valid configuration: it refuses unknown keys and bad values, so the
/// daemon can trust every field of a loaded value without checking again. The fields are `var`
/// so that a caller can build or edit a copy (a test, `replacing(_:from:)` during a reload); such
/// a value is not checked until that caller runs `validate()`, which checks each key of
/// `ConfigurationKey.all` as `load` does.
public struct DelegateConfiguration: Sendable, Equatable {
    public var delegate: DelegateSection
    public var queue: QueueSection
    public var aws: AWSSection
    public var identity: IdentitySection
    public var credentials: CredentialsSection
    /// `[sqs]`: the fleet queue (docs/INTERFACE.md section 12); off while `queue_urls` is empty.
    public var sqs = SQSSection()
    /// Named connectors by id: `[connectors.<id>]` tables and `connectors.d/<id>.toml` drop-ins
    /// (docs/INTERFACE.md section 9).
    public var connectors: [String: NamedConnector] = [:]
    /// `[[credential]]` entries: what the credentials socket serves to which unit (section 11).
    public var credentialMappings: [CredentialMapping] = []
    /// The `[delegate] connectors_dir` the configuration names, when the load found it missing
    /// (no drop-ins were loaded: a mount not up yet?); the start and each reload say so.
    public internal(set) var missingConnectorsDirectory: String?
    /// Entries of the connectors directory that are not read as drop-ins though they may be meant
    /// as one (`ci-read.conf`, `ci-read.TOML`): not hidden, not `.toml`, no editor's or package
    /// manager's leftover; the start, each reload and `check-config` name them.
    public internal(set) var passedOverDropIns: PassedOverDropIns?
    /// Keys the file sets that an environment variable overrides, by label (`[delegate]
    /// log_level`), with the variable: an edit of the file does not change them, which the start,
    /// each reload and `check-config` say (``overriddenKeysWarning``).
    public internal(set) var overriddenFileKeys: [String: String] {
        get { overridden.keys }
        set { overridden.keys = newValue }
    }
    private var overridden = OverriddenKeys()

    /// What a load found, not what the configuration is: no part of its equality (a configuration
    /// rendered and loaded again, without the environment, is the same configuration).
    private struct OverriddenKeys: Sendable, Equatable {
        var keys: [String: String] = [:]
        static func == (_: Self, _: Self) -> Bool { true }
    }

    /// Files of `directory` (by name, sorted) not read as connectors.
    public struct PassedOverDropIns: Sendable, Equatable {
        public var directory: String
        public var names: [String]
    }

    /// The defaults of the spec, with the host name as the delegate's name.
    public init(hostName: String) {
        self.delegate = DelegateSection(name: hostName)
        self.queue = QueueSection()
        self.aws = AWSSection()
        self.identity = IdentitySection()
        self.credentials = CredentialsSection()
    }

    public init(
        delegate: DelegateSection, queue: QueueSection, aws: AWSSection, identity: IdentitySection,
        credentials: CredentialsSection
    ) {
        self.delegate = delegate
        self.queue = queue
        self.aws = aws
        self.identity = identity
        self.credentials = credentials
    }

    /// Where the daemon looks for its configuration unless told otherwise.
    public static let defaultPath = "/etc/secrets-delegate/delegate.toml"

    /// `[delegate]`: who this delegate is and how much it runs at once.
    public struct DelegateSection: Sendable, Equatable {
        /// The delegate's name; also names its claim directory `cur/<name>/`, so it is limited to
        /// `[A-Za-z0-9._-]{1,128}`. Always counts as one of its tags.
        public var name: String
        /// Tags matched against task selectors (trimmed; compared case-insensitively).
        public var tags: [String]
        /// Whether tasks whose connector has no selectors run here.
        public var acceptUntagged: Bool
        /// Tasks in flight at once; the credentials socket's reads have as many slots again.
        public var concurrency: Int
        /// Whether tasks may carry a connector object instead of naming a configured connector.
        public var allowInlineConnectors: Bool
        /// Where connector drop-ins (`<id>.toml`) are read from; empty means `connectors.d` next to
        /// the configuration file.
        public var connectorsDir: String
        /// The least severe records logged: one of ``DelegateConfiguration/logLevels`` (``level``).
        public var logLevel: String

        /// ``logLevel`` as swift-log's level (`info` for a value `load` would have refused).
        public var level: Logger.Level {
            Logger.Level(rawValue: logLevel) ?? .info
        }

        public init(
            name: String, tags: [String] = [], acceptUntagged: Bool = true, concurrency: Int = 16,
            allowInlineConnectors: Bool = true, connectorsDir: String = "", logLevel: String = "info"
        ) {
            self.name = name
            self.tags = tags
            self.acceptUntagged = acceptUntagged
            self.concurrency = concurrency
            self.allowInlineConnectors = allowInlineConnectors
            self.connectorsDir = connectorsDir
            self.logLevel = logLevel
        }
    }

    /// `[queue]`: where tasks come from.
    public struct QueueSection: Sendable, Equatable {
        /// Spool directory; empty turns the spool off.
        public var spoolDir: String
        /// Unix socket path; empty turns the socket off.
        public var socketPath: String
        /// Groups (names or numeric ids) whose members may use the socket.
        public var socketAllowedGroups: [String]
        /// Users (names or numeric ids) who may use the socket; root and the daemon's own uid
        /// always may.
        public var socketAllowedUsers: [String]
        /// Socket connections open at once; more are refused with `TooManyConnections`. The
        /// daemon lowers it to half its open file limit, keeping descriptors for everything else.
        public var socketMaxConnections: Int
        /// A socket connection with no task in flight and no bytes moving for this long is closed.
        public var socketIdleTimeoutSeconds: Double
        /// Full spool rescan period besides inotify, in seconds.
        public var rescanIntervalSeconds: Double
        /// The systemd credentials socket (section 11); empty turns it off.
        public var credentialsSocketPath: String
        /// How long uncollected results stay in `done/`, in seconds.
        public var resultRetentionSeconds: Int

        public init(
            spoolDir: String = "/var/lib/secrets-delegate/spool",
            socketPath: String = "/run/secrets-delegate/delegate.sock",
            socketAllowedGroups: [String] = ["secrets-delegate"],
            socketAllowedUsers: [String] = [],
            socketMaxConnections: Int = 256,
            socketIdleTimeoutSeconds: Double = 300,
            rescanIntervalSeconds: Double = 5,
            resultRetentionSeconds: Int = 3600,
            credentialsSocketPath: String = ""
        ) {
            self.credentialsSocketPath = credentialsSocketPath
            self.spoolDir = spoolDir
            self.socketPath = socketPath
            self.socketAllowedGroups = socketAllowedGroups
            self.socketAllowedUsers = socketAllowedUsers
            self.socketMaxConnections = socketMaxConnections
            self.socketIdleTimeoutSeconds = socketIdleTimeoutSeconds
            self.rescanIntervalSeconds = rescanIntervalSeconds
            self.resultRetentionSeconds = resultRetentionSeconds
        }
    }

    /// `[aws]`: endpoints, timeouts and retries for every AWS call.
    public struct AWSSection: Sendable, Equatable {
        /// Secrets Manager endpoint override (VPC endpoint, emulator); empty means the region's
        /// default, `https://secretsmanager.<region>.<its partition's domain>` (`amazonaws.com`,
        /// `amazonaws.com.cn`, ...).
        public var secretsManagerEndpoint: String
        /// STS endpoint override; empty means the region's, `https://sts.<region>.<domain>`.
        public var stsEndpoint: String
        /// Instance metadata service endpoint.
        public var imdsEndpoint: String
        public var connectTimeoutSeconds: Double
        public var requestTimeoutSeconds: Double
        /// Attempts per AWS call including the first (AWS standard retry mode).
        public var maxAttempts: Int

        public init(
            secretsManagerEndpoint: String = "",
            stsEndpoint: String = "",
            imdsEndpoint: String = "http://169.254.169.254",
            connectTimeoutSeconds: Double = 3,
            requestTimeoutSeconds: Double = 15,
            maxAttempts: Int = 3
        ) {
            self.secretsManagerEndpoint = secretsManagerEndpoint
            self.stsEndpoint = stsEndpoint
            self.imdsEndpoint = imdsEndpoint
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.maxAttempts = maxAttempts
        }
    }

    /// `[identity]`: where the delegate's own AWS identity comes from, tried in order.
    public struct IdentitySection: Sendable, Equatable {
        public var sources: [IdentitySource]

        public init(sources: [IdentitySource] = [.environment, .imds]) {
            self.sources = sources
        }
    }

    /// `[credentials]`: where credential refs (`secretAccessKeyRef`, ...) are looked up after
    /// `$CREDENTIALS_DIRECTORY`.
    public struct CredentialsSection: Sendable, Equatable {
        /// Absolute directory; empty means only `$CREDENTIALS_DIRECTORY` is used.
        public var directory: String

        public init(directory: String = "/etc/secrets-delegate/credentials") {
            self.directory = directory
        }
    }
}

extension DelegateConfiguration {
    /// What ``overriddenFileKeys`` means for the operator, or nil when there are none.
    public var overriddenKeysWarning: String? {
        guard !overriddenFileKeys.isEmpty else { return nil }
        let pairs = overriddenFileKeys.sorted { $0.key < $1.key }.map { "\($0.key) by \($0.value)" }
        return "the environment overrides what the configuration file sets for \(pairs.joined(separator: ", ")): "
            + "editing the file does not change those (the variable wins; a changed variable takes a restart)"
    }

    /// What ``passedOverDropIns`` means for the operator, or nil when there are none.
    public var passedOverDropInsWarning: String? {
        guard let passedOver = passedOverDropIns, !passedOver.names.isEmpty else { return nil }
        // Shown escaped, not cut: a path is what the operator looks for.
        let names = passedOver.names.prefix(5).map { ShownText.escaped($0) }
        let more = passedOver.names.count > 5 ? " and \(passedOver.names.count - 5) more" : ""
        return "[delegate] connectors_dir \(ShownText.escaped(passedOver.directory)) holds "
            + "\(names.joined(separator: ", "))\(more), not read as a connector: a drop-in is named <id>.toml"
    }
}
