import FoundationEssentials
import AWSCore
import AWSCredentials

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
    /// The configured connector the task named, if it named one (not an inline connector
    /// object, whose id a producer chooses).
    public var namedConnectorID: String? { connectorPolicy != nil ? connector.id : nil }
    /// For the journal (`CONNECTOR_KIND`): so that an inline connector whose id is a configured
    /// connector's is told apart from that connector's use.
    public var connectorKind: ConnectorKind { connectorPolicy != nil ? .named : .inline }
    /// The SQS queue its result goes to (`replyTo`, section 12); only the SQS intake uses it.
    public var replyTo: String? = nil
    /// When an earlier run of this task may have made its calls and given no result: a spool task
    /// recovered at a start, claimed then (this host's clock); an SQS message received before,
    /// first then (SQS's, AWS's clock). A `deleteSecret` refused because the secret is marked
    /// deleted asks whether that run deleted it.
    public var earlierRunSince: ClockTime? = nil

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
    public let credentials: CredentialSpec

    public init(
        id: String, region: String, secretNamePrefix: String, delegateSelectors: [String],
        credentials: CredentialSpec
    ) {
        self.id = id
        self.region = region
        self.secretNamePrefix = secretNamePrefix
        self.delegateSelectors = delegateSelectors
        self.credentials = credentials
    }
}
