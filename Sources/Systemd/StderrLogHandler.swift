internal import Glibc
public import Logging

public import struct FoundationEssentials.Date
import SafeText
import UTCTime

/// A swift-log handler for life outside the journal: one readable line per record on stderr.
///
/// `2026-11-21T19:36:46.123Z warning secrets-delegate.spool: task failed task_id=abc error_code=AccessDenied`
///
/// Metadata is printed as sorted `key=value` pairs; values with spaces, quotes, `=` or control
/// characters are quoted, and newlines are escaped so that every record stays on one line.
public struct StderrLogHandler: LogHandler {
    public let label: String
    /// Its level: the daemon's ``LogLevelSetting`` (``HandlerLevel/setting``) unless set here.
    public var level = HandlerLevel()
    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }
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
        let entries = Logger.Metadata.entries(
            handler: metadata, provider: metadataProvider, call: event.metadata, error: event.error)
        var line = Self.bytes(
            timestamp: Date(), level: event.level, label: label, message: event.message.description, entries: entries)
        line.append(UInt8(ascii: "\n"))
        Self.write(line)
    }

    /// One record as a line (without the trailing newline).
    public static func format(
        timestamp: Date,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        let entries = metadata.map { (key: $0.key, value: $0.value.description) }.sorted { $0.key < $1.key }
        return String(
            decoding: bytes(timestamp: timestamp, level: level, label: label, message: message, entries: entries),
            as: UTF8.self)
    }

    /// The line's UTF-8, written byte by byte: every task logs, and appending to a `String` piece
    /// by piece cost more than the rest of the record. `entries` come sorted by key, each key once
    /// (`Logger.Metadata.entries`), and are written in that order.
    static func bytes(
        timestamp: Date, level: Logger.Level, label: String, message: String, entries: [(key: String, value: String)]
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        UTCDateTime(timestamp).appendISO8601(to: &line)
        line.append(UInt8(ascii: " "))
        line.appendUTF8(of: level.rawValue)
        line.append(UInt8(ascii: " "))
        line.appendUTF8(of: label)
        line.append(UInt8(ascii: ":"))
        line.append(UInt8(ascii: " "))
        appendMessage(message, to: &line)
        for entry in entries {
            line.append(UInt8(ascii: " "))
            line.appendUTF8(of: entry.key)
            line.append(UInt8(ascii: "="))
            appendQuotedIfNeeded(entry.value, to: &line)
        }
        return line
    }

    /// Writes `bytes` (a whole line, newline included) with one `write(2)`, so concurrent records
    /// do not interleave within a line.
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard var pointer = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let written = Glibc.write(STDERR_FILENO, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                pointer += written
                remaining -= written
            }
        }
    }

    /// The message as it reads, but quoted (its `"` and `\\` escaped) when it holds a `=` or a `"`:
    /// a producer's text in it (a task's unknown key, say) must not read as `key=value` pairs to a
    /// logfmt reader, ahead of the record's own.
    private static func appendMessage(_ message: String, to line: inout [UInt8]) {
        guard message.utf8.contains(where: { $0 == 0x3D || $0 == 0x22 }) else {
            appendEscaped(message, to: &line)
            return
        }
        line.append(UInt8(ascii: "\""))
        line.appendUTF8(of: escaped(message, escapingQuotes: true))
        line.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ text: String, to line: inout [UInt8]) {
        if !line.appendUTF8(of: text, ifEvery: { $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) {
            line.appendUTF8(of: escaped(text))
        }
    }

    private static func appendQuotedIfNeeded(_ value: String, to line: inout [UInt8]) {
        let plain =
            !value.isEmpty
            && line.appendUTF8(of: value) { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x3D && $0 != 0x5C }
        if !plain { line.appendUTF8(of: quotedIfNeeded(value)) }
    }

    /// Escapes backslashes and control characters (`\n`, `\r`, `\t`), and shows the other
    /// scalars ``ShownText`` escapes as it does (`\u{..}`: C1 codes, bidirectional overrides).
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
            default: result += ShownText.shown(scalar)
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
                scalar == " " || scalar == "\"" || scalar == "=" || ShownText.isEscaped(scalar)
                    || scalar.properties.isWhitespace
            }
        guard needsQuotes else { return escaped(value) }
        return "\"" + escaped(value, escapingQuotes: true) + "\""
    }
}
