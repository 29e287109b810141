import Foundation
import TestSupport
import Testing

/// `get` and `exec` on the built binary against the built daemon over moto (section 10): the
/// socket path comes from the configuration, the connector is a named one.
@Suite struct GetExecEndToEndTests {
    @Test func getAndExecReadASecretCreatedThroughMoto() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let name = "getter"
        let configuration =
            fixture.configuration(name: name, tags: ["conn"], socket: true)
            + ConnectorEndToEndTests.connector("prod", fixture)
        let daemon = try fixture.start(configuration: configuration, name: name)
        #expect(await daemon.waitUntilReady(), "\(daemon.stderrText)")

        let created = try await SocketPeer.exchange(
            path: fixture.socketPath(name),
            lines: [
                try ConnectorEndToEndTests.task(
                    "create", connector: "prod", operation: "createSecret",
                    params: ["name": "db", "secretString": #"{"user":"app","password":"pw-canary"}"#])
            ])
        #expect(SocketPeer.object(created.first ?? "")?["status"] as? String == "succeeded", "\(created)")

        let binary = try DaemonProcess.binaryPath()
        let config = daemon.configurationPath
        let field = try await ChildProcess.run(binary, ["get", "--config", config, "prod", "db#password"])
        #expect(field.termination == .exited(0), "\(field.errorOutput)")
        #expect(field.output == "pw-canary")

        let whole = try await ChildProcess.run(
            binary, ["get", "--config", config, "--version-stage", "AWSCURRENT", "prod", "db"])
        #expect(whole.output == #"{"user":"app","password":"pw-canary"}"#, "\(whole.errorOutput)")

        let json = try await ChildProcess.run(binary, ["get", "--config", config, "--json", "prod", "db#user"])
        let result = SocketPeer.object(json.output.trimmingCharacters(in: .newlines))
        #expect((result?["result"] as? [String: Any])?["value"] as? String == "app", "\(json.errorOutput)")
        #expect(result?["connectorId"] as? String == "prod")

        let missing = try await ChildProcess.run(binary, ["get", "--config", config, "prod", "absent"])
        #expect(missing.termination == .exited(1))
        #expect(missing.output.isEmpty)
        #expect(missing.errorOutput.hasPrefix("secrets-delegate: ResourceNotFoundException"), "\(missing.errorOutput)")

        let ran = try await ChildProcess.run(
            binary,
            [
                "exec", "--config", config, "--env", "U=prod:db#user", "--env", "P=prod:db#password", "--",
                "/bin/sh", "-c", #"printf %s "$U|$P""#,
            ])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(ran.output == "app|pw-canary")

        let marker = fixture.directory.path("marker")
        let refused = try await ChildProcess.run(
            binary,
            [
                "exec", "--config", config, "--env", "U=prod:db#user", "--env", "X=prod:db#absent", "--",
                "/bin/sh", "-c", #"touch "$0""#, marker,
            ])
        #expect(refused.termination == .exited(1))
        #expect(refused.errorOutput.contains("SecretFieldUnavailable"), "\(refused.errorOutput)")
        #expect(!refused.errorOutput.contains("pw-canary"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let unreachable = try await ChildProcess.run(
            binary, ["get", "--socket", fixture.directory.path("absent.sock"), "prod", "db"])
        #expect(unreachable.termination == .exited(69))
    }
}
