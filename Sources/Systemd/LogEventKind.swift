/// The event kinds an operator can find in the journal by `MESSAGE_ID`.
///
/// Code marks a log record as an event with the metadata key `event` and one of these raw
/// values (`logger.info("...", metadata: ["event": "\(LogEventKind.taskClaimed)"])`).
/// `JournalLogHandler` turns it into the fixed `MESSAGE_ID` below and keeps the name in the
/// `EVENT` field. The identifiers are part of the external contract: never change one.
///
/// (Named `LogEventKind` because swift-log has its own `LogEvent` type.)
public enum LogEventKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case started = "started"
    case ready = "ready"
    case reloaded = "reloaded"
    case stopping = "stopping"
    case taskClaimed = "task-claimed"
    case taskSucceeded = "task-succeeded"
    case taskFailed = "task-failed"
    case taskRejected = "task-rejected"
    case credentialsRefreshed = "credentials-refreshed"
    case credentialsRefreshFailed = "credentials-refresh-failed"
    case staticStabilityEngaged = "static-stability-engaged"
    case credentialServed = "credential-served"
    case credentialRefused = "credential-refused"
    /// An SQS queue cannot be used (denied, missing, throttled, unreachable); `QUEUE_URL` names it.
    case queueFailing = "queue-failing"
    /// An SQS queue that was failing works again.
    case queueRecovered = "queue-recovered"
    /// An SQS task message whose result was already sent came back; deleted, not run again.
    case taskRedelivered = "task-redelivered"

    /// The journal `MESSAGE_ID`: 32 lowercase hex digits, generated once with
    /// `systemd-id128 new`.
    public var messageID: String {
        switch self {
        case .started: "1382b608f94f42d0b0db0c186a2e0e75"
        case .ready: "b20d32c7a798457797805155f571e76b"
        case .reloaded: "8504d030612a442580f8182de5daf1d7"
        case .stopping: "962a3ac0fd8d4bc58b8cc2ef49ea2893"
        case .taskClaimed: "06f8c20a07774abe9e88099b5a8d06fc"
        case .taskSucceeded: "a0ab85ac82654f168c8cc7c5c4210169"
        case .taskFailed: "189a55ceed6b498885209e0bd5176b88"
        case .taskRejected: "87ec36711a9247dcbe10c3f37320cc26"
        case .credentialsRefreshed: "97af3e2c262e498aab7e1f81df88108f"
        case .credentialsRefreshFailed: "5401fab4a4df40cca4b9d0dccbcbb3f7"
        case .staticStabilityEngaged: "d941897b9a694ce7ad0279f7c6f135a2"
        case .credentialServed: "e55db4e34ab243a295689df89ea6c2ad"
        case .credentialRefused: "111c1dbfd96e46589d35c40901d07e07"
        case .queueFailing: "dd537e94b0334adeb1d8c24398d08508"
        case .queueRecovered: "cf1cc538b5d44238b900d6b7d4064165"
        case .taskRedelivered: "81dffc40a9384cffb16b5b8f27024208"
        }
    }

    /// The metadata key whose value names the event kind.
    public static let metadataKey = "event"

    /// The raw value, so the kind interpolates directly into metadata.
    public var description: String { rawValue }
}
