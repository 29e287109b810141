import Foundation
import Glibc
import TestSupport
import Testing

/// What `secrets-delegate run` does to its own process before it takes tasks: no core dumps.
/// The ready line reports it, read back from the kernel (the tests run as root, to whom a
/// non-dumpable process's `/proc/<pid>` looks no different).
@Suite struct ProcessHardeningTests {
    @Test func runIsNotDumpable() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-hardening")
        let configuration = DaemonTestFixtures.configuration(
            name: DaemonTestFixtures.uniqueName("hardening"), tags: ["a"], directory: directory,
            endpoint: "http://127.0.0.1:9")
        let daemon = try DaemonProcess(
            configuration: configuration, environment: DaemonTestFixtures.environment(), directory: directory)
        try daemon.start()
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(30))
        let ready = try #require(daemon.stderrLines.first { $0.contains("event=ready") })
        #expect(ready.contains("dumpable=no"), "\(ready)")
        #expect(try await daemon.stop() == .exited(0))
    }
}
