/// A connector the operator declared on the host (docs/INTERFACE.md section 9): a
/// `[connectors.<id>]` table of `delegate.toml` or a drop-in `connectors.d/<id>.toml`.
///
/// Tasks name it (`"connector": "<id>"`) instead of carrying a connector object. Its AWS side is
/// the same `Connector` an inline task connector decodes to, validated by the same code; on top of
/// it the operator says which operations it serves and to whom.
public struct NamedConnector: Sendable, Equatable {
    /// Region, prefix, selectors and credentials; `connector.id` is the connector's id.
    public let connector: Connector
    public let policy: ConnectorPolicy
    /// Where it was declared, for messages: `[connectors.<id>]` or the drop-in's path.
    public let origin: String
    /// Declared in a `connectors.d` drop-in (``origin`` is the file's path), not as a
    /// `[connectors.<id>]` table of the main file.
    public let isDropIn: Bool

    public init(connector: Connector, policy: ConnectorPolicy, origin: String, isDropIn: Bool = false) {
        self.connector = connector
        self.policy = policy
        self.origin = origin
        self.isDropIn = isDropIn
    }

    public var id: String { connector.id }

    /// Where it was declared does not make two connectors different.
    public static func == (lhs: NamedConnector, rhs: NamedConnector) -> Bool {
        lhs.connector == rhs.connector && lhs.policy == rhs.policy
    }
}

/// What a named connector may be used for, and by whom.
public struct ConnectorPolicy: Sendable, Equatable {
    /// The operations it serves; nil: every operation.
    public var operations: [OperationName]?
    /// Local users (names or numeric uids).
    public var allowedUsers: [String]
    /// Local groups (names or numeric gids); a principal is in one if that user is a member.
    public var allowedGroups: [String]
    /// systemd units asking through the credentials socket (section 11).
    public var allowedUnits: [String] { didSet { unitSet = Set(allowedUnits) } }
    /// SQS queue URLs whose tasks may use it (section 12).
    public var allowedQueues: [String] { didSet { queueSet = Set(allowedQueues) } }
    /// The lists above as sets, for the per-request and per-entry checks: thousands of units or
    /// queues are looked up in constant time.
    private var unitSet: Set<String>
    private var queueSet: Set<String>
    /// Some `allowed_*` key was given, even as an empty list: then only those listed (and root)
    /// may use the connector. (`allowed_users = []` left after revoking the last user admits root
    /// only; taken for "none set" it opened the connector to everyone.)
    public var principalsListed: Bool
    /// Spool (and SQS) tasks must carry `sealTo`; the socket is exempt.
    public var requireSealedResults: Bool
    /// Read cache lifetime (section 14); 0 = no cache.
    public var cacheTTLSeconds: Int
    /// How long past its TTL a cached value may still be served (`"stale": true`) while Secrets
    /// Manager is unreachable (section 14); 0 = never.
    public var cacheStaleSeconds: Int

    public init(
        operations: [OperationName]? = nil, allowedUsers: [String] = [], allowedGroups: [String] = [],
        allowedUnits: [String] = [], allowedQueues: [String] = [], principalsListed: Bool = false,
        requireSealedResults: Bool = false, cacheTTLSeconds: Int = 0, cacheStaleSeconds: Int = 0
    ) {
        self.operations = operations
        self.allowedUsers = allowedUsers
        self.allowedGroups = allowedGroups
        self.allowedUnits = allowedUnits
        self.allowedQueues = allowedQueues
        unitSet = Set(allowedUnits)
        queueSet = Set(allowedQueues)
        self.principalsListed = principalsListed
        self.requireSealedResults = requireSealedResults
        self.cacheTTLSeconds = cacheTTLSeconds
        self.cacheStaleSeconds = cacheStaleSeconds
    }

    /// Whether any `allowed_*` list is set (given, even empty): then only the principals listed
    /// (and root) may use it.
    public var restrictsPrincipals: Bool {
        principalsListed
            || !(allowedUsers.isEmpty && allowedGroups.isEmpty && allowedUnits.isEmpty && allowedQueues.isEmpty)
    }

    /// Whether `allowed_units` lists `unit`.
    public func lists(unit: String) -> Bool { unitSet.contains(unit) }

    /// Whether `allowed_queues` lists `queueURL`.
    public func lists(queue queueURL: String) -> Bool { queueSet.contains(queueURL) }

    /// Equal when they admit the same: lists given empty beside others that are not are no
    /// different from lists not given.
    public static func == (lhs: ConnectorPolicy, rhs: ConnectorPolicy) -> Bool {
        lhs.operations == rhs.operations && lhs.allowedUsers == rhs.allowedUsers
            && lhs.allowedGroups == rhs.allowedGroups && lhs.allowedUnits == rhs.allowedUnits
            && lhs.allowedQueues == rhs.allowedQueues && lhs.restrictsPrincipals == rhs.restrictsPrincipals
            && lhs.requireSealedResults == rhs.requireSealedResults && lhs.cacheTTLSeconds == rhs.cacheTTLSeconds
            && lhs.cacheStaleSeconds == rhs.cacheStaleSeconds
    }

    public static let cacheTTLRange = 0...3600
    public static let cacheStaleRange = 0...86400
}
