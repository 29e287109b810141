internal import Glibc
public import Logging

public import struct FoundationEssentials.Date
import UTCTime

/// A swift-log handler for life outside the journal: one readable line per record on stderr.
///
/// `2026-11-21T19:36:46.123Z warning secrets-delegate.spool: task failed task_id=abc error_code=AccessDenied`
///
/// Metadata is printed as sorted `key=value` pairs; values with spaces, quotes, `=` or control
/// characters are quoted, and newlines are escaped so that every record stays on one line.
public struct StderrLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = Logger.Metadata.merged(handler: metadata, provider: metadataProvider, call: event.metadata)
        if let error = event.error {
            merged["error"] = "\(String(describing: error))"
        }
        Self.writeLine(
            Self.format(
                timestamp: Date(),
                level: event.level,
                label: label,
                message: event.message.description,
                metadata: merged
            )
        )
    }

    /// One record as a line (without the trailing newline).
    public static func format(
        timestamp: Date,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = UTCDateTime(timestamp).iso8601
        line.reserveCapacity(160)
        line += " "
        line += level.rawValue
        line += " "
        line += label
        line += ": "
        line += escaped(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += quotedIfNeeded(value.description)
        }
        return line
    }

    /// Writes the line and a newline with one `write(2)`, so concurrent records do not
    /// interleave within a line. `consuming`: a line handed over (as `format`'s result is) gets its
    /// newline in place, in the room `format` reserved, without a copy.
    static func writeLine(_ line: consuming String) {
        var line = line
        line += "\n"
        line.withUTF8 { raw in
            guard var pointer = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(STDERR_FILENO, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                pointer += written
                remaining -= written
            }
        }
    }

    /// Escapes backslashes and control characters (`\n`, `\r`, `\t`, others as `\u{..}`).
    static func escaped(_ text: String, escapingQuotes: Bool = false) -> String {
        // Fast path, taken by almost every value: printable ASCII with nothing to escape.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C && (!escapingQuotes || $0 != 0x22) }) {
            return text
        }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"" where escapingQuotes: result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    static func quotedIfNeeded(_ value: String) -> String {
        // Fast path: printable ASCII without space, quote, `=` or backslash stays as it is.
        if !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x3D && $0 != 0x5C }) {
            return value
        }
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { scalar in
                scalar == " " || scalar == "\"" || scalar == "=" || scalar.properties.generalCategory == .control
                    || scalar.properties.isWhitespace
            }
        guard needsQuotes else { return escaped(value) }
        return "\"" + escaped(value, escapingQuotes: true) + "\""
    }
}
