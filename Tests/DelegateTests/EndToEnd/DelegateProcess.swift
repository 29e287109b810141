import Foundation
import Glibc
import Testing

/// A delegate daemon run as a child process of the test, the way systemd runs it: the built
/// `secrets-delegate` binary, a configuration file, an explicit environment, stderr captured
/// to a file the test can read.
final class DelegateProcess: @unchecked Sendable {
    // @unchecked: `process` is only started in `init` and then only signalled and awaited.

    let process: Process
    let stderrPath: String

    /// The `secrets-delegate` binary `swift build --build-tests` put next to the test bundle.
    static func binary() throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("secrets-delegate").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw EndToEndError("no secrets-delegate binary near \(bundle.path); run `swift build --build-tests` first")
    }

    /// Starts `secrets-delegate run --config configPath` with exactly `environment`.
    init(configPath: String, environment: [String: String] = [:], stderrPath: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["run", "--config", configPath]
        var base = ["PATH": "/usr/bin:/bin", "HOME": "/root"]
        base.merge(environment) { _, new in new }
        process.environment = base
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        self.stderrPath = stderrPath
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything the daemon wrote to stderr so far.
    var stderrText: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the daemon has logged that it is ready (its spool and socket are open).
    func waitUntilReady(within timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(within: timeout) { stderrText.contains("event=ready") }
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit and returns its status (a signal number for a killed one).
    func waitForExit() async -> Int32 {
        let process = process
        return await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }.start()
        }
    }

    /// Stops the daemon with SIGTERM (the way `systemctl stop` does) and returns its exit status.
    @discardableResult
    func stop() async -> Int32 {
        if isRunning { signal(SIGTERM) }
        return await waitForExit()
    }
}

struct EndToEndError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}
