/// One validated task (docs/INTERFACE.md section 3): a Secrets Manager operation, the connector that
/// says how to reach Secrets Manager, and a deadline.
///
/// Only `DelegateTask.decode` makes one, so every value the executor sees has passed every
/// check of the spec: names, refs, ARNs and bounds were validated before any AWS call.
public struct DelegateTask: Sendable, Equatable {
    /// `[A-Za-z0-9._-]{1,128}`; also the idempotency seed for writes.
    public let id: String
    public let connector: Connector
    public let operation: TaskOperation
    /// Time allowed for the whole task, 1-3600 s (default 60).
    public let deadlineSeconds: Int
    /// The key the result's `result` is sealed to (`sealTo`), if any.
    public let sealTo: SealingKey?
    /// The policy of the named connector the task used; nil for an inline connector object.
    public let connectorPolicy: ConnectorPolicy?
    /// The SQS queue its result goes to (`replyTo`, section 12); only the SQS intake uses it.
    public var replyTo: String? = nil

    public init(
        id: String, connector: Connector, operation: TaskOperation, deadlineSeconds: Int, sealTo: SealingKey? = nil,
        connectorPolicy: ConnectorPolicy? = nil
    ) {
        self.id = id
        self.connector = connector
        self.operation = operation
        self.deadlineSeconds = deadlineSeconds
        self.sealTo = sealTo
        self.connectorPolicy = connectorPolicy
    }

    public static let maximumSize = 1 << 20
    public static let defaultDeadlineSeconds = 60
    public static let deadlineRange = 1...3600
}

/// How to reach Secrets Manager and which delegates may run the task.
public struct Connector: Sendable, Equatable {
    /// `[A-Za-z0-9._-]{1,128}`.
    public let id: String
    /// An AWS region such as `us-east-1`.
    public let region: String
    /// With leading and trailing `/` stripped; may be empty.
    public let secretNamePrefix: String
    /// As the task gave them; `SelectionPolicy` trims and compares case-insensitively.
    public let delegateSelectors: [String]
    public let credentials: ConnectorCredentials

    public init(
        id: String, region: String, secretNamePrefix: String, delegateSelectors: [String],
        credentials: ConnectorCredentials
    ) {
        self.id = id
        self.region = region
        self.secretNamePrefix = secretNamePrefix
        self.delegateSelectors = delegateSelectors
        self.credentials = credentials
    }
}

/// How a connector authenticates. Secrets never travel in a task: keys are named by ref and
/// read from credential files on the host.
public enum ConnectorCredentials: Sendable, Equatable {
    case accessKey(AccessKeyCredentials)
    /// The delegate's own identity (`[identity] sources`).
    case instanceRole
    /// STS AssumeRole from the delegate's own identity.
    case assumeRole(AssumeRoleCredentials)
}

/// `accessKey` credentials: the key id plain or by ref, the secret key and session token by ref.
public struct AccessKeyCredentials: Sendable, Equatable {
    public enum KeyID: Sendable, Equatable {
        case plain(String)
        case ref(String)
    }

    public let accessKeyID: KeyID
    /// A credential name `[A-Za-z0-9_.-]{1,128}` (not `.` or `..`).
    public let secretAccessKeyRef: String
    public let sessionTokenRef: String?

    public init(accessKeyID: KeyID, secretAccessKeyRef: String, sessionTokenRef: String?) {
        self.accessKeyID = accessKeyID
        self.secretAccessKeyRef = secretAccessKeyRef
        self.sessionTokenRef = sessionTokenRef
    }
}

/// `assumeRole` credentials, validated as STS requires.
public struct AssumeRoleCredentials: Sendable, Equatable {
    /// `arn:aws[-partition]:iam::<12 digits>:role/<path/name>`.
    public let roleARN: String
    /// 2-1224 characters of `[\w+=,.@:/-]`.
    public let externalID: String?
    /// 900-43200, default 3600.
    public let durationSeconds: Int

    public init(roleARN: String, externalID: String?, durationSeconds: Int) {
        self.roleARN = roleARN
        self.externalID = externalID
        self.durationSeconds = durationSeconds
    }

    public static let durationRange = 900...43200
    public static let defaultDurationSeconds = 3600
    public static let externalIDLength = 2...1224
}
