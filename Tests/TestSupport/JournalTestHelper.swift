import Foundation
import Glibc

/// A real systemd-journald for tests, and a way to read back what reached it.
///
/// `ensureJournald()` uses the journald that already listens on `/run/systemd/journal/socket`,
/// or starts `systemd-journald` (as root) when none does. Starting is serialised with an
/// `flock` on a lock file, so several test processes (and parallel tests in one process) start
/// at most one journald; the journald keeps running after the tests, and later runs reuse it.
/// A missing journald binary is an error, never a skip.
public enum JournalTestHelper {
    /// Where Debian (and most distributions) install journald.
    public static let journaldCandidates = ["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"]
    /// The native protocol socket `sd_journal_sendv` writes to.
    public static let socketPath = "/run/systemd/journal/socket"
    static let lockPath = "/run/secrets-delegate-tests-journald.lock"

    /// Makes sure a journald is accepting records on `socketPath`.
    public static func ensureJournald(timeout: Duration = .seconds(30)) throws {
        if socketAcceptsDatagrams(socketPath) { return }
        guard let binary = journaldCandidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw JournalTestError(
                "systemd-journald not found at \(journaldCandidates); install Debian's `systemd` package")
        }
        let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw JournalTestError("cannot open \(lockPath): errno \(errno)") }
        defer { close(lock) }  // closing releases the flock
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw JournalTestError("cannot lock \(lockPath): errno \(errno)") }
        }
        // Another process may have started it while we waited for the lock.
        if socketAcceptsDatagrams(socketPath) { return }

        try FileManager.default.createDirectory(atPath: "/run/systemd/journal", withIntermediateDirectories: true)
        let journald = try ChildProcess(executable: binary)
        // journald outlives the test that started it; later tests reuse it.
        journald.detach()

        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if socketAcceptsDatagrams(socketPath) { return }
            if let exit = journald.exit {
                throw JournalTestError(
                    "\(binary) \(exit) before opening \(socketPath)"
                        + " (it needs root and an /etc/machine-id)"
                )
            }
            usleep(20_000)
        }
        throw JournalTestError("\(binary) did not open \(socketPath) within \(timeout)")
    }

    /// The journal entries whose fields equal all of `matches` (as `journalctl -o json FIELD=value`
    /// selects them), polling until at least `count` exist or `timeout` passes.
    ///
    /// journald stores records asynchronously, so a record just sent may need a moment to appear.
    public static func readJournal(
        matching matches: [String: String],
        since: Date? = nil,
        count: Int = 1,
        timeout: Duration = .seconds(30)
    ) async throws -> [JournalEntry] {
        let deadline = ContinuousClock.now + timeout
        var entries: [JournalEntry] = []
        repeat {
            entries = try await offPool { try queryJournal(matching: matches, since: since) }
            if entries.count >= count { return entries }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        throw JournalTestError(
            "found \(entries.count) of \(count) journal entries matching \(matches) within \(timeout)")
    }

    /// One `journalctl` run, blocking: call it off the cooperative pool (`offPool`). With
    /// `since`, only entries from a second before it on (a `_PID` alone also matches the
    /// entries of an earlier process that had the same id).
    public static func queryJournal(matching matches: [String: String], since: Date? = nil) throws -> [JournalEntry] {
        let arguments =
            ["--no-pager", "--quiet", "--output=json"]
            + (since.map { ["--since=@\(Int($0.timeIntervalSince1970) - 1)"] } ?? [])
            + matches.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let outcome = try ChildProcess.runBlocking("/usr/bin/journalctl", arguments)
        guard outcome.termination == .exited(0) else {
            throw JournalTestError("journalctl \(outcome.termination)")
        }
        let data = Data(outcome.output.utf8)
        return try data.split(separator: UInt8(ascii: "\n")).map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw JournalTestError("journalctl printed a line that is not a JSON object")
            }
            return JournalEntry(json: object)
        }
    }

    /// Whether a datagram socket at `path` has a live listener (a stale socket file refuses).
    static func socketAcceptsDatagrams(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return withUnixAddress(path) { address, length in connect(descriptor, address, length) == 0 } ?? false
    }

    /// Calls `body` with a `sockaddr_un` for `path`; nil when the path is too long.
    static func withUnixAddress<Result>(
        _ path: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}

/// One journal entry as `journalctl -o json` prints it.
public struct JournalEntry: Sendable, CustomStringConvertible {
    /// Every value of every field; binary values are decoded as UTF-8.
    public var fields: [String: [String]]

    init(json: [String: Any]) {
        var fields: [String: [String]] = [:]
        for (name, value) in json {
            fields[name] = Self.values(value)
        }
        self.fields = fields
    }

    /// The field's first value.
    public subscript(name: String) -> String? { fields[name]?.first }

    public var description: String {
        fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// A JSON value is a string, an array of byte numbers (binary data), or an array of
    /// either (a field that occurs several times).
    private static func values(_ value: Any) -> [String] {
        if let string = value as? String { return [string] }
        if let bytes = value as? [Int] {
            return [String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)]
        }
        if let array = value as? [Any] { return array.flatMap { values($0) } }
        return []
    }
}

public struct JournalTestError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
