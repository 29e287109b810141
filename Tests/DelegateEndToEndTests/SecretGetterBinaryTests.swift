import Foundation
import TestSupport
import Testing

/// `get` and `exec` through the built binary, against a socket that plays the delegate
/// (docs/INTERFACE.md section 10); the in-process tests are `SecretGetterTests`.
@Suite struct SecretGetterBinaryTests {
    /// The built binary: two variables reach the command, which replaces it; one failing
    /// variable keeps the command from running at all.
    @Test func execRunsTheCommandWithTheValuesOrNotAtAll() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let binary = try DaemonProcess.binaryPath()
        let ran = try await ChildProcess.run(
            binary,
            [
                "exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "B=prod:db#password", "--",
                "sh", "-c", #"printf %s "$A|$B""#,
            ])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(ran.output == "s3cr3t-é|pw-canary")

        let marker = directory.path("marker")
        let refused = try await ChildProcess.run(
            binary,
            [
                "exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "GONE=prod:absent", "--",
                "/bin/sh", "-c", "touch \"$0\"", marker,
            ])
        #expect(refused.termination == .exited(1))
        #expect(refused.output.isEmpty)
        #expect(refused.errorOutput.contains("ResourceNotFoundException"))
        #expect(refused.errorOutput.contains("GONE"))
        #expect(!refused.errorOutput.contains("s3cr3t"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let usage = try await ChildProcess.run(
            binary, ["exec", "--socket", fake.path, "--env", "1A=prod:db", "--", "/bin/true"])
        #expect(usage.termination == .exited(64))

        let notFound = try await ChildProcess.run(
            binary, ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "no-such-command-sd"])
        #expect(notFound.termination == .exited(127))
        #expect(notFound.errorOutput.contains("no-such-command-sd: command not found"))
        #expect(!notFound.errorOutput.contains("s3cr3t"))
    }

    @Test func getThroughTheBinaryWritesRawBytes() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let binary = try DaemonProcess.binaryPath()
        let output = directory.path("out")
        let ran = try await ChildProcess.run(
            "/bin/sh", ["-c", #""$0" get --socket "$1" prod blob > "$2""#, binary, fake.path, output])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data([0x00, 0xff, 0x41, 0x0a, 0x00]))
        let both = try await ChildProcess.run(
            binary, ["get", "--socket", fake.path, "--version-id", "a", "--version-stage", "b", "prod", "db"])
        #expect(both.termination == .exited(64))
    }
}
