import Foundation
import TaskQueue
import TestSupport
import Testing

/// The systemd credentials socket (section 11) on the built daemon over moto, with systemd's
/// helper reproduced exactly (``CredentialPeer``): a root client bound to
/// `\0<hex>/unit/<unit>/<id>` that connects and reads until EOF.
@Suite struct CredentialSocketEndToEndTests {
    @Test func mappedUnitsGetExactValuesAndEveryOtherRequestARefusal() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let name = "credsock"
        let credentialsSocket = fixture.directory.path("credentials.sock")
        let configuration =
            fixture.configuration(name: name, tags: ["conn"], socket: true)
            .replacingOccurrences(
                of: "rescan_interval_seconds = 1",
                with: "rescan_interval_seconds = 1\ncredentials_socket_path = \"\(credentialsSocket)\"")
            + ConnectorEndToEndTests.connector("prod", fixture, #"allowed_units = ["app.service", "bin.service"]"#)
            + ConnectorEndToEndTests.connector("open", fixture)
            + """

            [[credential]]
            unit = "app.service"
            id = "db-password"
            connector = "prod"
            secret = "db#password"

            [[credential]]
            unit = "app.service"
            id = "db-json"
            connector = "prod"
            secret = "db"
            version_stage = "AWSCURRENT"

            [[credential]]
            unit = "bin.service"
            id = "blob"
            connector = "prod"
            secret = "blob"

            [[credential]]
            unit = "*"
            id = "db-any"
            connector = "prod"
            secret = "db#password"

            [[credential]]
            unit = "*"
            id = "db-user"
            connector = "open"
            secret = "db#user"

            """
        let daemon = try fixture.start(configuration: configuration, name: name)
        #expect(await daemon.waitUntilReady(), "\(daemon.stderrText)")
        var info = stat()
        #expect(stat(credentialsSocket, &info) == 0 && info.st_mode & 0o777 == 0o600)

        let json = #"{"user":"app","password":"pw-canary"}"#
        let binary = Data([0, 1, 2, 0x0a, 0x80, 0xfe, 0xff])
        let created = try await SocketPeer.exchange(
            path: fixture.socketPath(name),
            lines: [
                try ConnectorEndToEndTests.task(
                    "create-db", connector: "prod", operation: "createSecret",
                    params: ["name": "db", "secretString": json]),
                try ConnectorEndToEndTests.task(
                    "create-blob", connector: "prod", operation: "createSecret",
                    params: ["name": "blob", "secretBinary": binary.base64EncodedString()]),
            ])
        #expect(created.count == 2 && created.allSatisfy { $0.contains(#""status":"succeeded""#) }, "\(created)")

        func ask(_ unit: String, _ id: String) async throws -> Data? {
            try await CredentialPeer.request(
                path: credentialsSocket, boundTo: CredentialPeer.systemdName(unit: unit, id: id))
        }

        // Mapped: the exact bytes of a #key field, a whole string, a binary secret, a "*" entry.
        #expect(try await ask("app.service", "db-password") == Data("pw-canary".utf8))
        #expect(try await ask("app.service", "db-json") == Data(json.utf8))
        #expect(try await ask("bin.service", "blob") == binary)
        #expect(try await ask("other.service", "db-user") == Data("app".utf8))

        // Refused for the service manager: more than systemd takes for one credential (so the
        // unit fails to start), never the value; the daemon answers the next good request.
        let refusal = Data(
            (0..<CredentialSocketServer.refusalLength).map {
                CredentialSocketServer.refusalLine[$0 % CredentialSocketServer.refusalLine.count]
            })
        #expect(try await ask("app.service", "unknown-id") == refusal)
        #expect(try await ask("unmapped.service", "db-password") == refusal)
        #expect(try await ask("intruder.service", "db-any") == refusal)
        // Root with an address the delegate cannot take (unbound, another shape, an id no entry
        // could map): may be the service manager, so its unit fails rather than start with an
        // empty credential.
        #expect(try await CredentialPeer.request(path: credentialsSocket, boundTo: nil) == refusal)
        #expect(try await CredentialPeer.request(path: credentialsSocket, boundTo: "abc/units/app.service/db-password") == refusal)
        #expect(try await CredentialPeer.request(path: credentialsSocket, boundTo: "00abc/unit/app.service/db-password") == refusal)
        #expect(try await CredentialPeer.request(path: credentialsSocket, boundTo: "abc/unit/app.service/..") == refusal)
        // Not the system's service manager: a peer of another user (a `systemd --user`, the
        // socket opened up to let it connect at all) never gets the value, and never an EOF,
        // which would start its unit with an empty credential: it is refused, whatever its address.
        #expect(chmod(credentialsSocket, 0o666) == 0)
        let strangersFrom = ContinuousClock.now
        #expect(
            try await CredentialPeer.request(
                path: credentialsSocket, boundTo: CredentialPeer.systemdName(unit: "app.service", id: "db-password"),
                asNobody: true) == refusal)
        #expect(try await CredentialPeer.request(path: credentialsSocket, boundTo: nil, asNobody: true) == refusal)
        // Such a peer names any unit it likes: its refusals share one window whatever the name.
        let strangers = (1...4).map { "stranger-\($0).service" }
        for unit in strangers {
            #expect(
                try await CredentialPeer.request(
                    path: credentialsSocket, boundTo: CredentialPeer.systemdName(unit: unit, id: "db-password"),
                    asNobody: true) == refusal)
        }
        // (The rate limiter's windows these six refusals spanned: one, but for a loaded machine.)
        let strangerWindows = 1 + Int((ContinuousClock.now - strangersFrom) / .seconds(10))
        #expect(try await ask("app.service", "db-password") == Data("pw-canary".utf8))

        // Units refused at once (a boot) each get their line, though more than a kind's burst of 3.
        let burst = (1...4).map { "burst-\($0).service" }
        for unit in burst { #expect(try await ask(unit, "unknown-id") == refusal) }

        // One line per refusal, naming the unit, the id and why; never the value.
        let log = daemon.stderrText
        #expect(!log.contains("pw-canary"))
        let refusals = log.split(separator: "\n").filter { $0.contains("event=credential-refused") }
        func refused(_ fields: String...) -> Bool {
            refusals.contains { line in fields.allSatisfy { line.contains($0) } }
        }
        #expect(refused("unit=app.service", "credential_id=unknown-id", "error_code=NoMapping"), "\(log)")
        #expect(refused("unit=unmapped.service", "error_code=NoMapping"), "\(log)")
        for unit in burst { #expect(refused("unit=\(unit)", "error_code=NoMapping"), "\(unit): \(log)") }
        // (Besides the window's summary, "(N more suppressed)", logged once the window is over:
        // by now under a loaded machine's pace.)
        let strangerLines = refusals.filter { $0.contains("error_code=PeerNotRoot") && !$0.contains("more suppressed") }
        #expect(strangerLines.count <= 3 * strangerWindows, "\(strangerWindows) window(s): \(log)")
        #expect(strangerWindows > 1 || strangerLines.count < 6, "every stranger's refusal was logged: \(log)")
        #expect(refused("unit=intruder.service", "connector_id=prod", "error_code=NotAuthorized"), "\(log)")
        #expect(refused("error_code=MalformedAddress", "peer_uid=0"), "\(log)")
        #expect(refused("unit=app.service", "error_code=PeerNotRoot", "peer_uid=65534"), "\(log)")

        let status = try await SocketPeer.exchange(
            path: fixture.socketPath(name), lines: [Data(#"{"control":"status"}"#.utf8)])
        let counts = SocketPeer.object(status.first ?? "")?["credentialRequests"] as? [String: Any]
        #expect(counts?["served"] as? Int == 5, "\(status)")
        #expect(counts?["refused"] as? Int == 9 + burst.count + strangers.count, "\(status)")
    }
}
