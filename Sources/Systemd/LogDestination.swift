internal import Glibc
public import Logging

/// Where the daemon's logs go: natively to the journal, or as readable lines on stderr.
public enum LogDestination: String, Sendable, Equatable, CaseIterable {
    case journal
    case stderr

    /// Picks the destination for this process.
    ///
    /// `requested` wins when given (e.g. from a command-line flag). Otherwise the journal is
    /// chosen only when `$JOURNAL_STREAM` names the very file stderr is connected to (its
    /// `device:inode` equals `fstat(2)` of fd 2), as systemd documents: a child whose stderr
    /// was redirected elsewhere inherits the variable but must not log to the journal.
    public static func detect(environment: [String: String], requested: LogDestination? = nil) -> LogDestination {
        if let requested {
            return requested
        }
        guard let stream = environment["JOURNAL_STREAM"], let identity = standardErrorIdentity() else {
            return .stderr
        }
        return journalStream(stream, matches: identity) ? .journal : .stderr
    }

    /// True when a `$JOURNAL_STREAM` value (`"<device>:<inode>"`, both decimal) names the file
    /// with this identity.
    public static func journalStream(_ value: String, matches identity: FileIdentity) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return false
        }
        return device == identity.device && inode == identity.inode
    }

    /// The device and inode of fd 2, nil if it is closed.
    static func standardErrorIdentity() -> FileIdentity? {
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return nil }
        return FileIdentity(status)
    }
}

/// A file's identity as `stat(2)` gives it, the pair `$JOURNAL_STREAM` carries.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity `stat(2)` or `fstat(2)` gave.
    init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// The identity of the file at `path` (a link followed), nil if it cannot be stat'ed.
    public init?(path: String) {
        var status = stat()
        guard !path.isEmpty, stat(path, &status) == 0 else { return nil }
        self.init(status)
    }
}

/// The handler for a destination, for `LoggingSystem.bootstrap`:
///
///     let destination = LogDestination.detect(environment: ProcessInfo.processInfo.environment)
///     LoggingSystem.bootstrap { makeLogHandler(label: $0, destination: destination, level: setting) }
///
/// - Parameter level: where every handler reads its level (nil: `info`).
public func makeLogHandler(
    label: String,
    destination: LogDestination,
    identifier: String = "secrets-delegate",
    level: LogLevelSetting? = nil
) -> any LogHandler {
    switch destination {
    case .journal:
        var handler = JournalLogHandler(label: label, identifier: identifier)
        handler.level.setting = level
        return handler
    case .stderr:
        var handler = StderrLogHandler(label: label)
        handler.level.setting = level
        return handler
    }
}
