import Foundation
import Glibc
import Synchronization

/// The built `secrets-delegate` binary run as a child process, for end-to-end tests.
///
/// Each instance owns a fresh temporary directory holding the configuration file
/// (`delegate.toml`), the child's stderr (`stderr.log`) and stdout (`stdout.log`), and whatever
/// the test puts there (spool, socket, credentials). The child's environment is exactly the
/// dictionary given (nothing is inherited from the test process, nothing is `setenv`ed), and
/// every wait is a non-blocking poll or happens off the cooperative pool, so many daemons can
/// run in parallel tests.
///
///     let daemon = try DaemonProcess(configuration: toml, environment: ["NOTIFY_SOCKET": listener.path])
///     try daemon.start()
///     ...
///     let termination = try await daemon.stop()          // SIGTERM, then waits for the exit
///     #expect(termination == .exited(0))
///
/// Paths for the configuration usually come from `directory` before the daemon is made:
/// create a `TemporaryDirectory`, write the TOML with paths inside it, and pass it in.
public final class DaemonProcess: Sendable {
    /// How the child ended.
    public typealias Termination = ChildProcess.Termination

    /// Where the configuration, logs and anything else of this daemon live.
    public let directory: TemporaryDirectory
    /// The configuration file passed as `run --config`.
    public let configurationPath: String
    /// The child's standard error (its log lines when it does not log to the journal).
    public let stderrPath: String
    public let stdoutPath: String
    /// The child's environment, exactly.
    public let environment: [String: String]
    /// Arguments after the binary; `run --config <configurationPath>` by default.
    public let arguments: [String]
    /// A command that runs the binary (absolute path first, then its arguments; the binary and
    /// `arguments` follow), e.g. `prlimit`/`setpriv` to start the daemon with other limits or
    /// as another user. It must exec the binary, so that `pid` is the daemon's. Empty: none.
    public let launcher: [String]
    /// Signals the child starts with blocked (its mask at `exec`); none by default.
    public let blockedSignals: [Int32]
    /// The binary to run: the front binary (``binaryPath()``) unless another is given, such as
    /// the full one (``fullBinaryPath()``).
    public let executable: String?

    private let process: Mutex<ChildProcess?> = Mutex(nil)
    private let started: Mutex<Date?> = Mutex(nil)

    /// - Parameters:
    ///   - configuration: the TOML text, written to `configurationPath`.
    ///   - environment: the child's whole environment (add `NOTIFY_SOCKET`, AWS variables, ...).
    ///   - logToJournal: make the child log natively to the journal, as it does under systemd:
    ///     `JOURNAL_STREAM` is set to the device and inode of its stderr file, which is exactly
    ///     what `LogDestination.detect` checks. Needs a running journald
    ///     (`JournalTestHelper.ensureJournald()`).
    ///   - directory: where to keep the files; a fresh temporary directory by default.
    ///   - arguments: overrides `run --config <configurationPath>`.
    ///   - launcher: see `launcher`.
    public init(
        configuration: String, environment: [String: String] = [:], logToJournal: Bool = false,
        directory: TemporaryDirectory? = nil, arguments: [String]? = nil, launcher: [String] = [],
        blockedSignals: [Int32] = [], executable: String? = nil
    ) throws {
        let directory = try directory ?? TemporaryDirectory(prefix: "daemon")
        self.directory = directory
        configurationPath = directory.path("delegate.toml")
        stderrPath = directory.path("stderr.log")
        stdoutPath = directory.path("stdout.log")
        self.arguments = arguments ?? ["run", "--config", configurationPath]
        self.launcher = launcher
        self.blockedSignals = blockedSignals
        self.executable = executable
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configurationPath))
        for path in [stderrPath, stdoutPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw DaemonProcessError("cannot create \(path)")
            }
        }
        var environment = environment
        if logToJournal {
            var status = stat()
            guard stat(stderrPath, &status) == 0 else { throw DaemonProcessError("cannot stat \(stderrPath): errno \(errno)") }
            environment["JOURNAL_STREAM"] = "\(status.st_dev):\(status.st_ino)"
        }
        self.environment = environment
    }

    /// The full `secrets-delegated` executable the front binary becomes: next to it.
    public static func fullBinaryPath() throws -> String {
        URL(fileURLWithPath: try binaryPath()).deletingLastPathComponent().appendingPathComponent("secrets-delegated").path
    }

    /// The `secrets-delegate` executable next to the running test bundle (both are products
    /// of the same `swift build --build-tests`), or `$SECRETS_DELEGATE_TEST_BINARY` if set.
    public static func binaryPath() throws -> String {
        if let override = ProcessInfo.processInfo.environment["SECRETS_DELEGATE_TEST_BINARY"] {
            return override
        }
        var candidates: [String] = []
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: running).deletingLastPathComponent().appendingPathComponent("secrets-delegate").path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("secrets-delegate").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("secrets-delegate").path)
        // <package>/Tests/TestSupport/DaemonProcess.swift → <package>/.build/debug
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug/secrets-delegate").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DaemonProcessError("secrets-delegate binary not found (run `swift build --build-tests`); looked at \(candidates)")
        }
        return found
    }

    /// Starts the child. Call once.
    public func start() throws {
        try process.withLock { current in
            guard current == nil else { throw DaemonProcessError("the daemon was already started") }
            let command = launcher + [try executable ?? Self.binaryPath()] + arguments
            current = try ChildProcess(
                executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
                stdout: .file(stdoutPath), stderr: .file(stderrPath), blockedSignals: blockedSignals)
        }
        started.withLock { $0 = Date() }
    }

    /// When ``start()`` spawned the child, a moment after it ran: pass it with `_PID` to
    /// `JournalTestHelper.readJournal(matching:since:)`, since process ids are reused (32,768 of
    /// them on a default kernel, run through within a test run that spawns many processes).
    public var startTime: Date? { started.withLock { $0 } }

    /// The child's process id (0 before `start`).
    public var pid: Int32 { process.withLock { $0?.pid ?? 0 } }

    /// How the child ended, nil while it runs.
    public var exit: Termination? { process.withLock { $0?.exit } }

    /// Sends `signal` (`SIGHUP`, `SIGTERM`, `SIGKILL`, ...) to the child, if it still runs.
    public func signal(_ signal: Int32) {
        process.withLock { $0?.signal(signal) }
    }

    /// Waits for the child to exit, polling without blocking a thread.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(90)) async throws -> Termination {
        guard let child = process.withLock({ $0 }) else { throw DaemonProcessError("the daemon was never started") }
        do {
            return try await child.waitForExit(timeout: timeout)
        } catch {
            throw DaemonProcessError("\(error); stderr:\n\(stderrText)")
        }
    }

    /// Sends `signal` (SIGTERM by default: a graceful stop) and waits for the exit.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async throws -> Termination {
        self.signal(signal)
        return try await waitForExit(timeout: timeout)
    }

    /// `kill -9`: no chance to clean up (for crash-recovery tests).
    @discardableResult
    public func kill(timeout: Duration = .seconds(30)) async throws -> Termination {
        try await stop(signal: SIGKILL, timeout: timeout)
    }

    /// Everything the child wrote to stderr so far.
    public var stderrText: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// The stderr lines so far.
    public var stderrLines: [String] {
        stderrText.split(separator: "\n").map(String.init)
    }

    /// Everything the child wrote to stdout so far.
    public var stdoutText: String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    /// Waits until stderr contains `text` (a log line of the stderr handler, say).
    public func waitForStderr(containing text: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !stderrText.contains(text) {
            if let exit { throw DaemonProcessError("the daemon ended (\(exit)) before writing \"\(text)\"; stderr:\n\(stderrText)") }
            guard ContinuousClock.now < deadline else {
                throw DaemonProcessError("\"\(text)\" did not appear on stderr within \(timeout); stderr:\n\(stderrText)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Replaces the configuration file atomically (write, then rename), e.g. before a SIGHUP.
    public func writeConfiguration(_ text: String) throws {
        let temporary = configurationPath + ".new"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, configurationPath) == 0 else {
            throw DaemonProcessError("cannot replace \(configurationPath): errno \(errno)")
        }
    }

    // A test that failed half-way leaves no daemon behind: the ChildProcess kills it on deinit.
}

/// A spool directory (docs/INTERFACE.md section 5) seen from a producer: enqueue tasks, read results.
public struct SpoolDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Writes a task the way producers must: complete in `tmp/`, then renamed into
    /// `new/<id>.json`. Creates `tmp/` and `new/` when the daemon has not yet.
    public func enqueue(id: String, json: String) throws {
        try enqueue(raw: Data((json + "\n").utf8), fileName: "\(id).json")
    }

    /// Writes `raw` to `tmp/<fileName>` (mode 0640), then renames it into `new/<fileName>`.
    ///
    /// A plain write, not `Data.write`: that fsyncs, and hundreds of fsyncs on one of the
    /// cooperative pool's two threads stall every test running beside this one. The rename is
    /// what makes the task appear whole; durability is not what the tests check.
    public func enqueue(raw: Data, fileName: String) throws {
        for sub in ["tmp", "new"] where access(path + "/" + sub, F_OK) != 0 {
            try FileManager.default.createDirectory(atPath: path + "/" + sub, withIntermediateDirectories: true)
        }
        let temporary = "\(path)/tmp/\(fileName)"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DaemonProcessError("cannot create \(temporary): errno \(errno)") }
        let written = raw.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == raw.count else { throw DaemonProcessError("short write to \(temporary)") }
        guard rename(temporary, "\(path)/new/\(fileName)") == 0 else {
            throw DaemonProcessError("cannot move \(temporary) into new/: errno \(errno)")
        }
    }

    /// The names of the files waiting in `new/`.
    public var waitingTasks: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/new")) ?? []).sorted()
    }

    /// The result for `id` from `done/`, nil while there is none.
    public func result(id: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(path)/done/\(id).json") else { return nil }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DaemonProcessError("the result for \(id) is not a JSON object")
        }
        return object
    }

    /// Polls `done/` until the result for `id` appears.
    public func waitForResult(id: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let result = try result(id: id) { return result }
            guard ContinuousClock.now < deadline else {
                throw DaemonProcessError("no result for \(id) within \(timeout); waiting in new/: \(waitingTasks)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

public struct DaemonProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
