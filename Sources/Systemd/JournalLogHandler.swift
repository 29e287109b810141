internal import CSystemd
internal import Glibc
public import Logging
import SafeText

import struct FoundationEssentials.Date

/// A swift-log handler that writes structured records to the systemd journal natively.
///
/// Each record carries `MESSAGE`, `PRIORITY` (syslog 0-7), `SYSLOG_IDENTIFIER`, `LOGGER`
/// (the logger's label), `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, and every metadata entry as a
/// field named by `JournalFieldName.sanitize` (`task_id` → `TASK_ID`). The metadata key `event`
/// is special: its value is kept in `EVENT` and, when it names a `LogEventKind`, becomes that
/// kind's fixed `MESSAGE_ID`. Fields are sent with `sd_journal_sendv`, so values may contain
/// line feeds; other control characters are shown escaped (``shown(_:)``). If journald cannot be
/// reached the record goes to stderr instead of being lost.
public struct JournalLogHandler: LogHandler {
    /// The logger's label, stored in `LOGGER`.
    public let label: String
    /// `SYSLOG_IDENTIFIER`, what `journalctl -t` selects on.
    public let identifier: String
    /// Its level: the daemon's ``LogLevelSetting`` (``HandlerLevel/setting``) unless set here.
    public var level = HandlerLevel()
    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// - Parameters:
    ///   - label: the logger's label.
    ///   - identifier: the `SYSLOG_IDENTIFIER`; defaults to `secrets-delegate` so that all of
    ///     the daemon's loggers share one identifier whatever their labels.
    public init(
        label: String, identifier: String = "secrets-delegate", metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let entries = Logger.Metadata.entries(handler: metadata, provider: metadataProvider, call: event.metadata)
        let message = event.message.description
        var fields = Self.fields(
            level: event.level, message: message, identifier: identifier, label: label, entries: entries,
            file: event.file, function: event.function, line: event.line)
        if let error = event.error {
            fields.append(JournalField(name: "ERROR", value: Self.shown(String(describing: error))))
        }
        do {
            try Self.send(fields)
        } catch {
            let withError = Logger.Metadata.entries(
                handler: metadata, provider: metadataProvider, call: event.metadata, error: event.error)
            var line = StderrLogHandler.bytes(
                timestamp: Date(), level: event.level, label: label, message: message, entries: withError)
            line.append(UInt8(ascii: "\n"))
            StderrLogHandler.write(line)
        }
    }

    /// The fields one record becomes, in the order they are sent. Public so tests and tools can
    /// see exactly what reaches the journal.
    public static func fields(
        level: Logger.Level,
        message: String,
        identifier: String,
        label: String,
        metadata: Logger.Metadata,
        file: String,
        function: String,
        line: UInt
    ) -> [JournalField] {
        fields(
            level: level, message: message, identifier: identifier, label: label,
            entries: metadata.map { (key: $0.key, value: $0.value.description) }.sorted { $0.key < $1.key },
            file: file, function: function,
            line: line)
    }

    /// ``fields(level:message:identifier:label:metadata:file:function:line:)`` for metadata
    /// already merged into text (``Logger/Metadata/entries``), each key once, sorted by key.
    static func fields(
        level: Logger.Level, message: String, identifier: String, label: String,
        entries: [(key: String, value: String)], file: String, function: String, line: UInt
    ) -> [JournalField] {
        var fields: [JournalField] = []
        fields.reserveCapacity(8 + entries.count)
        fields.append(JournalField(name: "MESSAGE", value: shown(message)))
        fields.append(JournalField(name: "PRIORITY", value: String(level.syslogPriority)))
        fields.append(JournalField(name: "SYSLOG_IDENTIFIER", value: identifier))
        fields.append(JournalField(name: "LOGGER", value: label))
        fields.append(JournalField(name: "CODE_FILE", value: file))
        fields.append(JournalField(name: "CODE_LINE", value: String(line)))
        fields.append(JournalField(name: "CODE_FUNC", value: function))
        for entry in entries {
            if entry.key == LogEventKind.metadataKey {
                if let kind = LogEventKind(rawValue: entry.value) {
                    fields.append(JournalField(name: "MESSAGE_ID", value: kind.messageID))
                }
                fields.append(JournalField(name: "EVENT", value: shown(entry.value)))
            } else {
                fields.append(JournalField(name: JournalFieldName.sanitize(entry.key), value: shown(entry.value)))
            }
        }
        return fields
    }

    /// `value` as the journal gets it: what ``ShownText`` escapes shown as `\u{..}`, but for
    /// line feeds and tabs, which journalctl shows as they are (a carriage return is escaped). A value from elsewhere (an
    /// endpoint's error message, a proxy's) holding a carriage return, an escape or a C1 code
    /// would otherwise be stored as binary: `journalctl` shows such a `MESSAGE` as `[blob data]`,
    /// and `-o json` as an array of byte numbers that the README's `jq` recipes cannot print.
    static func shown(_ value: String) -> String {
        ShownText.escaped(value, keeping: kept)
    }

    /// What journalctl shows as it is, so the journal keeps it.
    private static let kept: Set<Unicode.Scalar> = ["\n", "\t"]

    /// Writes one record with `sd_journal_sendv`.
    ///
    /// All fields are copied into one byte buffer and the iovecs point into it; the buffer and
    /// the iovec array stay alive (and pinned) for the whole call.
    static func send(_ fields: [JournalField]) throws(SystemdError) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 1 })
        var spans: [(offset: Int, length: Int)] = []
        spans.reserveCapacity(fields.count)
        for field in fields {
            let start = buffer.count
            buffer.appendUTF8(of: field.name)
            buffer.append(UInt8(ascii: "="))
            buffer.appendUTF8(of: field.value)
            spans.append((start, buffer.count - start))
        }
        let result: Int32 = buffer.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return -EINVAL }
            let vectors = spans.map { iovec(iov_base: base + $0.offset, iov_len: $0.length) }
            return vectors.withUnsafeBufferPointer { pointer in
                sd_journal_sendv(pointer.baseAddress, Int32(pointer.count))
            }
        }
        if result < 0 {
            throw SystemdError(code: .journalSendFailed, message: "could not write to the journal", errno: -result)
        }
    }
}

/// One journal field: a valid name and its value.
public struct JournalField: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}
