import Foundation
import Glibc
import TestSupport
import Testing

/// Configuration files that used to abort the process inside toml++ (exit 134, so systemd
/// restarted it forever, and a SIGHUP killed a running daemon) are refused as configuration
/// errors naming the line.
@Suite struct MalformedConfigurationTests {
    static let malformed = [
        "[delegate]\n[\u{1}]\n", "[delegate]\n[é]\n", "[delegate]\n[[\u{1}]]\n", "[delegate]\n[ \u{1}]\n",
    ]

    @Test(arguments: malformed)
    func checkConfigExits78NamingTheLine(text: String) async throws {
        let directory = try TemporaryDirectory(prefix: "sd-malformed")
        let path = directory.path("bad.toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await ChildProcess.run(try DaemonProcess.binaryPath(), ["check-config", "--config", path])
        #expect(outcome.termination == .exited(78), "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("TOML syntax error at line 2, column "), "\(outcome.errorOutput)")
    }

    @Test func runExits78() async throws {
        let daemon = try DaemonProcess(configuration: Self.malformed[0])
        try daemon.start()
        #expect(try await daemon.waitForExit() == .exited(78), "\(daemon.stderrText)")
        #expect(daemon.stderrText.contains("line 2"))
    }

    @Test func reloadKeepsTheRunningConfiguration() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-malformed-reload")
        let configuration = DaemonTestFixtures.configuration(
            name: DaemonTestFixtures.uniqueName("malformed"), tags: ["a"], directory: directory,
            endpoint: "http://127.0.0.1:9")
        let daemon = try DaemonProcess(
            configuration: configuration, environment: DaemonTestFixtures.environment(), directory: directory)
        try daemon.start()
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))

        try daemon.writeConfiguration(configuration + "[\u{1}]\n")
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "reload refused")
        #expect(daemon.stderrText.contains("TOML syntax error at line "))
        #expect(daemon.exit == nil)
        #expect(try await daemon.stop() == .exited(0))
    }
}
