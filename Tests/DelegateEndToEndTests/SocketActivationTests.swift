import Foundation
import Glibc
import TestSupport
import Testing

/// Socket activation as systemd does it, played by `systemd-socket-activate`: the delegate has
/// no socket path of its own and answers on the descriptor it was handed (`sd_listen_fds`).
@Suite struct SocketActivationTests {
    @Test func theDelegateServesTheSocketItIsHanded() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let configPath = fixture.directory.path("activated.toml")
        try Data(fixture.configuration(name: "activated", tags: ["act"], socket: false).utf8)
            .write(to: URL(fileURLWithPath: configPath))
        let socketPath = fixture.directory.path("activated.sock")
        let logPath = fixture.directory.path("activated.log")
        let activator = try ChildProcess(
            executable: "/usr/bin/systemd-socket-activate",
            arguments: ["--listen=\(socketPath)", try DaemonProcess.binaryPath(), "run", "--config", configPath],
            environment: ["PATH": "/usr/bin:/bin"], stderr: .file(logPath))
        #expect(await eventually { access(socketPath, F_OK) == 0 })

        // The first connection starts the delegate, which then reads it from the inherited socket.
        let task = try EndToEndFixture.line(
            fixture.task(
                id: "activated-1", operation: "getRandomPassword", params: ["passwordLength": 16], selectors: ["act"]))
        let answers = try await SocketPeer.exchange(
            path: socketPath, lines: [Data(#"{"control":"status"}"#.utf8), task])
        let objects = answers.compactMap(SocketPeer.object)
        #expect(objects.contains { $0["name"] as? String == "activated" }, "\(answers)")
        #expect(
            objects.contains { $0["id"] as? String == "activated-1" && $0["status"] as? String == "succeeded" },
            "\(answers)")
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        // systemd-socket-activate hands its socket over as descriptor 3 (SD_LISTEN_FDS_START).
        #expect(
            log.split(separator: "\n").contains { $0.contains("socket listening") && $0.contains("fd 3") },
            "the delegate did not say it took the inherited socket: \(log)")

        activator.signal(SIGTERM)
        #expect(try await activator.waitForExit() == .exited(0))
    }

    /// Two sockets as two socket units pass them: the one named `credentials` serves systemd's
    /// credential helper (section 11), the other tasks.
    /// A socket the delegate binds itself (none passed) at a path it cannot use stops the start
    /// with 78, as a spool it cannot use does: the packaged unit does not restart it
    /// (`RestartPreventExitStatus=78`) every 2 s, and the reason names the path.
    @Test(arguments: ["socket_path", "credentials_socket_path"])
    func aSocketPathTheDelegateCannotUseStopsTheStartWith78(_ key: String) async throws {
        let directory = try TemporaryDirectory(prefix: "sd-sockpath")
        let unusable = directory.path("missing/delegate.sock")
        let other = key == "socket_path" ? "credentials_socket_path" : "socket_path"
        let daemon = try DaemonProcess(
            configuration: """
                [delegate]
                name = "sockpath"
                [queue]
                spool_dir = ""
                \(key) = "\(unusable)"
                \(other) = ""
                [identity]
                sources = []
                """,
            environment: ["PATH": "/usr/bin:/bin"], directory: directory)
        try daemon.start()
        #expect(try await daemon.waitForExit() == .exited(78), "\(daemon.stderrText)")
        #expect(daemon.stderrText.contains("cannot bind the socket"), "\(daemon.stderrText)")
        #expect(daemon.stderrText.contains(unusable), "\(daemon.stderrText)")
        #expect(daemon.stderrText.contains("its directory does not exist"), "\(daemon.stderrText)")
        // The critical line on-call filters by its code.
        #expect(
            daemon.stderrText.split(separator: "\n").contains {
                $0.contains("cannot bind its socket") && $0.contains("error_code=SocketUnusable")
            },
            "\(daemon.stderrText)")
    }

    @Test func theSocketNamedCredentialsServesCredentialRequests() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let configPath = fixture.directory.path("twosockets.toml")
        let configuration =
            fixture.configuration(name: "twosockets", tags: ["conn"], socket: false)
            + ConnectorEndToEndTests.connector("prod", fixture)
                + """
                [[credential]]
                unit = "*"
                id = "token"
                connector = "prod"
                secret = "token"

                """
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configPath))
        let taskSocket = fixture.directory.path("tasks.sock")
        let credentialsSocket = fixture.directory.path("creds.sock")
        let activator = try ChildProcess(
            executable: "/usr/bin/systemd-socket-activate",
            arguments: [
                "--listen=\(taskSocket)", "--listen=\(credentialsSocket)",
                "--fdname=secrets-delegate.socket:credentials", try DaemonProcess.binaryPath(), "run", "--config",
                configPath,
            ],
            environment: ["PATH": "/usr/bin:/bin"], stderr: .file(fixture.directory.path("twosockets.log")))
        #expect(await eventually { access(taskSocket, F_OK) == 0 && access(credentialsSocket, F_OK) == 0 })

        let created = try await SocketPeer.exchange(
            path: taskSocket,
            lines: [
                try ConnectorEndToEndTests.task(
                    "create-token", connector: "prod", operation: "createSecret",
                    params: ["name": "token", "secretString": "activated-token"])
            ])
        #expect(created.first?.contains(#""status":"succeeded""#) == true, "\(created)")
        let value = try await CredentialPeer.request(
            path: credentialsSocket, boundTo: CredentialPeer.systemdName(unit: "app.service", id: "token"))
        #expect(value == Data("activated-token".utf8))

        activator.signal(SIGTERM)
        #expect(try await activator.waitForExit() == .exited(0))
    }
}
