import Logging
import Synchronization

/// Collects every log record (message and metadata rendered as text) so tests can check what
/// reached the logs, in particular that no secret did.
public final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at trace level that records into this recorder.
    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in
            ClosureLogHandler { level, message, metadata in
                let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                self.append("\(level) \(message) \(fields)")
            }
        }
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

/// Hands every record (at any level), its metadata merged with the logger's, to `onLog`.
public struct ClosureLogHandler: LogHandler {
    let onLog: @Sendable (Logger.Level, Logger.Message, Logger.Metadata) -> Void
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(onLog: @escaping @Sendable (Logger.Level, Logger.Message, Logger.Metadata) -> Void) {
        self.onLog = onLog
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        onLog(event.level, event.message, merged)
    }
}
