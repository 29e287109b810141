import Foundation
import Glibc
import Systemd
import TestSupport
import Testing

/// What `secrets-delegate run` does to its own process before it takes tasks: no core dumps,
/// and the soft open file limit raised to the hard limit. The ready line reports both, read
/// back from the kernel (the tests run as root, to whom a non-dumpable process's `/proc/<pid>`
/// looks no different). A shell lowers the soft limit before it execs the daemon.
@Suite struct ProcessHardeningTests {
    @Test func runIsNotDumpableAndRaisesItsOpenFileLimit() async throws {
        let hard = try FileDescriptorLimit.current().hard
        try #require(hard > 256, "the hard limit \(hard) leaves nothing to raise")
        let directory = try TemporaryDirectory(prefix: "sd-hardening")
        let configuration = DaemonTestFixtures.configuration(
            name: DaemonTestFixtures.uniqueName("hardening"), tags: ["a"], directory: directory,
            endpoint: "http://127.0.0.1:9")
        let configurationPath = directory.path("delegate.toml")
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configurationPath))
        let stderrPath = directory.path("stderr.log")
        let daemon = try ChildProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", #"ulimit -Sn 256 && exec "$0" run --config "$1""#, try DaemonProcess.binaryPath(),
                configurationPath,
            ],
            environment: DaemonTestFixtures.environment(), stderr: .file(stderrPath))
        defer { daemon.signal(SIGKILL) }

        func readyLine() -> String? {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.contains("event=ready") }.map(String.init)
        }
        // Ready, or ended without being ready.
        _ = await eventually { readyLine() != nil || !daemon.isRunning }
        let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        let line = try #require(readyLine(), "the daemon was not ready (running: \(daemon.isRunning)): \(log)")
        #expect(line.contains("dumpable=no"), "\(line)")
        #expect(line.contains("open_files_limit=\(hard)"), "\(line)")
        #expect(try FileDescriptorLimit.current(process: daemon.pid) == FileDescriptorLimit(soft: hard, hard: hard))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: .seconds(90)) == .exited(0))
    }
}
