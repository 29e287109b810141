import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests, started with `posix_spawn` so that it inherits nothing but its
/// standard input, output and error, with a clean signal mask, and reaped with `waitpid`.
///
/// Why not `Foundation.Process`: on Linux it learns that a child exited when a socket it leaves
/// open in the child is closed, and it does not close the parent's other descriptors in the
/// child. Tests start many processes at once (moto, journald, daemons, clients), so a
/// long-lived child routinely inherited a short-lived one's socket or pipe: the short one's exit
/// then went unnoticed (a zombie, a `waitUntilExit` that never returned, a pipe read that never
/// saw EOF) and the test run hung. Standard streams here go to files, never pipes.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Where a standard stream comes from or goes to.
    public enum Stream: Sendable {
        case null
        /// A file: read from for input, created (truncated) for output.
        case file(String)
    }

    public let pid: pid_t
    private let termination = Mutex<Termination?>(nil)
    private let detached = Atomic<Bool>(false)

    /// Starts `executable` (an absolute path) with exactly `arguments` and `environment`.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String] = [:],
        stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null, blockedSignals: [Int32] = []
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream, flags) in [
            (Int32(0), stdin, O_RDONLY), (Int32(1), stdout, O_WRONLY | O_CREAT | O_TRUNC),
            (Int32(2), stderr, O_WRONLY | O_CREAT | O_TRUNC),
        ] {
            let path: String
            switch stream {
            case .null: path = "/dev/null"
            case .file(let file): path = file
            }
            posix_spawn_file_actions_addopen(&actions, fd, path, flags, 0o600)
        }
        guard Self.addCloseFrom(&actions) else {
            throw ChildProcessError("posix_spawn_file_actions_addclosefrom_np is unavailable")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in blockedSignals { sigaddset(&mask, signal) }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    deinit {
        // Never leave a zombie or an orphan behind, unless asked to.
        if !detached.load(ordering: .relaxed), termination.withLock({ $0 }) == nil {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// How the child ended, or nil while it runs (reaps it when it has ended).
    public var exit: Termination? {
        termination.withLock { recorded in
            if let recorded { return recorded }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            guard reaped == pid else { return nil }
            let ended: Termination =
                (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            recorded = ended
            return ended
        }
    }

    public var isRunning: Bool { exit == nil }

    /// Lets the child outlive this object (a shared service such as journald).
    public func detach() {
        detached.store(true, ordering: .relaxed)
    }

    /// Sends `signal` to the child if it has not ended.
    public func signal(_ signal: Int32) {
        guard exit == nil else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// Waits for the child to end, polling without holding a thread.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Termination {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit { return exit }
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError("process \(pid) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Blocks the calling thread until the child ends: call it off the cooperative pool.
    public func waitForExitBlocking(timeout: Duration = .seconds(60)) throws -> Termination {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit { return exit }
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError("process \(pid) did not exit within \(timeout)")
            }
            usleep(5_000)
        }
    }

    public typealias Outcome = (termination: Termination, output: String, errorOutput: String)

    /// Runs a command to its end: `input` on its standard input, and its standard output and
    /// error returned (through files in a temporary directory).
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
        input: Data? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Outcome {
        try await offPool {
            try runBlocking(executable, arguments, environment: environment, input: input, timeout: timeout)
        }
    }

    /// ``run(_:_:environment:input:timeout:)`` blocking the calling thread.
    public static func runBlocking(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
        input: Data? = nil, timeout: Duration = .seconds(60)
    ) throws -> Outcome {
        let directory = try TemporaryDirectory(prefix: "child")
        var stdin = Stream.null
        if let input {
            try input.write(to: URL(fileURLWithPath: directory.path("stdin")))
            stdin = .file(directory.path("stdin"))
        }
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, stdin: stdin,
            stdout: .file(directory.path("stdout")), stderr: .file(directory.path("stderr")))
        let termination: Termination
        do {
            termination = try child.waitForExitBlocking(timeout: timeout)
        } catch {
            // Not left running past its test, and what it said so far is told.
            child.signal(SIGKILL)
            let errorOutput = (try? String(contentsOfFile: directory.path("stderr"), encoding: .utf8)) ?? ""
            throw ChildProcessError("\(executable) \(arguments) did not exit within \(timeout) (killed); its stderr: \(errorOutput)")
        }
        let output = (try? String(contentsOfFile: directory.path("stdout"), encoding: .utf8)) ?? ""
        let errorOutput = (try? String(contentsOfFile: directory.path("stderr"), encoding: .utf8)) ?? ""
        return (termination, output, errorOutput)
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34+), looked up at run
    /// time because Swift's Glibc module does not export it.
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t) -> Bool {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return false }
        return unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
