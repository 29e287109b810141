import Logging
import Synchronization

/// Collects every log record (message and metadata rendered as text) so tests can check what
/// reached the logs, in particular that no secret did.
public final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at trace level that records into this recorder.
    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    public var records: [String] {
        lines.withLock { $0 }
    }

    /// Every record joined, for "contains no secret" checks.
    public var allText: String {
        records.joined(separator: "\n")
    }

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        recorder.append("\(event.level) \(event.message) \(fields)")
    }
}
