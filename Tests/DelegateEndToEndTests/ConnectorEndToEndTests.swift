import Foundation
import Glibc
import TestSupport
import Testing

/// Named connectors on the built daemon over moto with signature checks (section 9): which
/// operations a connector serves, to whom, inline connectors turned off, sealing required on the
/// spool, and broken connectors refused at start and on reload.
@Suite struct ConnectorEndToEndTests {
    /// `[connectors.<id>]` over the fixture's moto identity `full`, which IAM allows everything:
    /// every refusal below is the delegate's own.
    static func connector(
        _ id: String, _ fixture: EndToEndFixture, _ extra: String = "", selector: String = "conn"
    ) -> String {
        """

        [connectors.\(id)]
        region = "\(MotoServer.region)"
        secret_name_prefix = "\(fixture.prefix)"
        delegate_selectors = ["\(selector)"]
        credentials = { type = "accessKey", access_key_id_ref = "full-id", secret_access_key_ref = "full-secret" }
        \(extra)

        """
    }

    static func task(_ id: String, connector: Any, operation: String, params: [String: Any]) throws -> Data {
        try EndToEndFixture.line(["id": id, "connector": connector, "operation": operation, "params": params])
    }

    static func error(_ result: [String: Any]?) -> (code: String?, message: String) {
        let error = result?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String ?? "")
    }

    @Test func operationsPrincipalsInlineAndSealingAreEnforced() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let name = "conn"
        let configuration =
            fixture.configuration(name: name, tags: ["conn"], socket: true, allowedUsers: ["nobody"])
            .replacingOccurrences(
                of: "accept_untagged = false", with: "accept_untagged = false\nallow_inline_connectors = false")
            + Self.connector("readonly", fixture, #"operations = ["getSecretValue", "describeSecret"]"#)
            + Self.connector("rootonly", fixture, #"allowed_users = ["root"]"#)
            + Self.connector("sealed", fixture, "require_sealed_results = true")
            + Self.connector("elsewhere", fixture, selector: "other")
        let daemon = try fixture.start(configuration: configuration, name: name)
        #expect(await daemon.waitUntilReady(), "\(daemon.stderrText)")
        chmod(fixture.root, 0o755)
        chmod(fixture.socketPath(name), 0o666)
        let socket = fixture.socketPath(name)

        // root creates a secret through the connector limited to root.
        let created = try await SocketPeer.exchange(
            path: socket,
            lines: [
                try Self.task(
                    "create", connector: "rootonly", operation: "createSecret",
                    params: ["name": "db", "secretString": "s3cr3t-value"])
            ])
        #expect(SocketPeer.object(created.first ?? "")?["status"] as? String == "succeeded", "\(created)")

        // nobody: the read-only connector serves reads and refuses writes; root's connector refuses it.
        let asNobody = try await SocketPeer.exchange(
            path: socket,
            lines: [
                try Self.task("ro-read", connector: "readonly", operation: "getSecretValue", params: ["name": "db"]),
                try Self.task(
                    "ro-write", connector: "readonly", operation: "createSecret",
                    params: ["name": "db2", "secretString": "x"]),
                try Self.task("root-only", connector: "rootonly", operation: "describeSecret", params: ["name": "db"]),
                try Self.task("unknown", connector: "staging", operation: "describeSecret", params: ["name": "db"]),
                try EndToEndFixture.line(
                    fixture.task(id: "inline", operation: "describeSecret", params: ["name": "db"], selectors: ["conn"])
                ),
                try Self.task(
                    "sealed-socket", connector: "sealed", operation: "describeSecret", params: ["name": "db"]),
            ],
            asNobody: true)
        var results: [String: [String: Any]] = [:]
        for line in asNobody {
            if let object = SocketPeer.object(line), let id = object["id"] as? String { results[id] = object }
        }
        #expect(results.count == 6, "\(asNobody)")
        #expect(results["ro-read"]?["status"] as? String == "succeeded", "\(results["ro-read"] ?? [:])")
        #expect((results["ro-read"]?["result"] as? [String: Any])?["secretString"] as? String == "s3cr3t-value")
        #expect(results["ro-read"]?["connectorId"] as? String == "readonly")

        #expect(results["ro-write"]?["status"] as? String == "rejected")
        let write = Self.error(results["ro-write"])
        #expect(write.code == "NotAuthorized")
        #expect(write.message.contains("readonly") && write.message.contains("createSecret"), "\(write.message)")
        #expect(write.message.contains("uid 65534 (nobody)"), "\(write.message)")

        let rootOnly = Self.error(results["root-only"])
        #expect(rootOnly.code == "NotAuthorized")
        #expect(rootOnly.message.contains("rootonly") && rootOnly.message.contains("uid 65534"), "\(rootOnly.message)")

        let unknown = Self.error(results["unknown"])
        #expect(results["unknown"]?["status"] as? String == "rejected")
        #expect(unknown.code == "InvalidTask")
        #expect(unknown.message.contains("staging"))

        let inline = Self.error(results["inline"])
        #expect(inline.code == "NotAuthorized")
        #expect(inline.message.contains("inline connectors are turned off"), "\(inline.message)")

        // The socket is exempt from require_sealed_results.
        #expect(results["sealed-socket"]?["status"] as? String == "succeeded", "\(results["sealed-socket"] ?? [:])")

        // The spool: a task file owned by nobody is refused, root's is served, sealing is required.
        let rootOnlySpool = try Self.task(
            "spool-root", connector: "rootonly", operation: "describeSecret", params: ["name": "db"])
        try fixture.enqueue(raw: rootOnlySpool, fileName: "spool-root.json")
        let nobodyTemporary = fixture.spool + "/tmp/spool-nobody.json"
        try Self.task("spool-nobody", connector: "rootonly", operation: "describeSecret", params: ["name": "db"])
            .write(to: URL(fileURLWithPath: nobodyTemporary))
        #expect(chown(nobodyTemporary, 65534, 65534) == 0)
        #expect(rename(nobodyTemporary, fixture.spool + "/new/spool-nobody.json") == 0)
        try fixture.enqueue(
            raw: try Self.task(
                "spool-unsealed", connector: "sealed", operation: "describeSecret", params: ["name": "db"]),
            fileName: "spool-unsealed.json")
        // An id this delegate does not know is rejected (accept_untagged is false here); a task for
        // a connector whose selectors are not this delegate's stays in new/.
        try fixture.enqueue(
            raw: try Self.task(
                "spool-unknown", connector: "staging", operation: "describeSecret", params: ["name": "db"]),
            fileName: "spool-unknown.json")
        try fixture.enqueue(
            raw: try Self.task(
                "spool-elsewhere", connector: "elsewhere", operation: "describeSecret", params: ["name": "db"]),
            fileName: "spool-elsewhere.json")

        let spool = SpoolDirectory(path: fixture.spool)
        let servedRoot = try await spool.waitForResult(id: "spool-root")
        #expect(servedRoot["status"] as? String == "succeeded", "\(servedRoot)")
        let spoolNobody = try await spool.waitForResult(id: "spool-nobody")
        #expect(Self.error(spoolNobody).code == "NotAuthorized", "\(spoolNobody)")
        #expect(Self.error(spoolNobody).message.contains("uid 65534 (nobody)"))
        let unsealed = try await spool.waitForResult(id: "spool-unsealed")
        #expect(unsealed["status"] as? String == "rejected")
        #expect(Self.error(unsealed).code == "SealingRequired", "\(unsealed)")
        let unknownOnSpool = try await spool.waitForResult(id: "spool-unknown")
        #expect(Self.error(unknownOnSpool).code == "InvalidTask", "\(unknownOnSpool)")
        #expect(Self.error(unknownOnSpool).message.contains("staging"))
        #expect(spool.waitingTasks == ["spool-elsewhere.json"])
        #expect(try spool.result(id: "spool-elsewhere") == nil)

        // Never a secret in a refusal or a log line; the journal fields are there.
        #expect(!daemon.stderrText.contains("s3cr3t-value"))
        #expect(daemon.stderrText.contains("peer_uid=65534"), "\(daemon.stderrText)")
        #expect(daemon.stderrText.contains("connector_id=rootonly"))

        // status counts tasks per connector.
        let status = try await SocketPeer.exchange(path: socket, lines: [Data(#"{"control":"status"}"#.utf8)])
        let counts = SocketPeer.object(status.first ?? "")?["connectors"] as? [String: Any]
        #expect(counts?["readonly"] as? Int == 2, "\(status)")
        #expect(counts?["rootonly"] as? Int == 4, "\(status)")
        #expect(counts?["sealed"] as? Int == 2, "\(status)")
        // Only configured connectors are counted: ids from producers (inline, unknown) are not;
        // one no task named is listed with 0.
        #expect(counts?.keys.sorted() == ["elsewhere", "readonly", "rootonly", "sealed"], "\(status)")
        #expect(counts?["elsewhere"] as? Int == 0, "\(status)")
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func aBrokenConnectorStopsTheStartWith78NamingIt() async throws {
        let table = try DaemonProcess(
            configuration:
                "[connectors.broken]\nregion = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"nope\" }\n"
        )
        try table.start()
        #expect(try await table.waitForExit() == .exited(78), "\(table.stderrText)")
        #expect(table.stderrText.contains("[connectors.broken]"), "\(table.stderrText)")
        #expect(table.stderrText.contains("credentials.role_arn"), "\(table.stderrText)")

        let directory = try TemporaryDirectory(prefix: "sd-dropin")
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        try "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_ttl_seconds = 7200\n"
            .write(toFile: directory.path("connectors.d/x.toml"), atomically: true, encoding: .utf8)
        let dropIn = try DaemonProcess(configuration: "", directory: directory)
        try dropIn.start()
        #expect(try await dropIn.waitForExit() == .exited(78), "\(dropIn.stderrText)")
        #expect(dropIn.stderrText.contains(directory.path("connectors.d/x.toml")), "\(dropIn.stderrText)")
        #expect(dropIn.stderrText.contains("cache_ttl_seconds"), "\(dropIn.stderrText)")

        let checked = try await ChildProcess.run(
            try DaemonProcess.binaryPath(), ["check-config", "--config", directory.path("delegate.toml")])
        #expect(checked.termination == .exited(78))
        #expect(checked.errorOutput.contains("connectors.d/x.toml"))
    }

    @Test func connectorsReloadOnSIGHUPAndABrokenOneKeepsTheOld() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-conn-reload")
        let configuration =
            DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("connreload"), tags: ["a"], directory: directory,
                endpoint: "http://127.0.0.1:9")
            + "[connectors.first]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
        let daemon = try DaemonProcess(
            configuration: configuration, environment: DaemonTestFixtures.environment(), directory: directory)
        try daemon.start()
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))

        func ask(_ connector: String) async throws -> [String: Any]? {
            let answer = try await SocketPeer.exchange(
                path: directory.path("delegate.sock"),
                lines: [
                    try Self.task("t-\(connector)", connector: connector, operation: "testConnection", params: [:])
                        .replacingOperation(deadline: 1)
                ])
            return SocketPeer.object(answer.first ?? "")
        }
        #expect(Self.error(try await ask("second")).code == "InvalidTask")

        // A broken drop-in: the reload is refused and the running connectors stay.
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        try "region = \"mars\"\n".write(
            toFile: directory.path("connectors.d/second.toml"), atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "reload refused")
        #expect(daemon.stderrText.contains("connectors.d/second.toml"), "\(daemon.stderrText)")
        #expect(Self.error(try await ask("second")).code == "InvalidTask")

        // Fixed: the reload applies and names the change.
        try "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\noperations = [\"getSecretValue\"]\n"
            .write(toFile: directory.path("connectors.d/second.toml"), atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "changed=connectors")
        let refused = try await ask("second")
        #expect(Self.error(refused).code == "NotAuthorized", "\(refused ?? [:])")
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func aRefusalIsJournaledWithConnectorAndPeerUID() async throws {
        try await offPool { try JournalTestHelper.ensureJournald() }
        let directory = try TemporaryDirectory(prefix: "sd-conn-journal")
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("connjournal"), tags: ["a"], directory: directory,
                endpoint: "http://127.0.0.1:9")
                + "[connectors.rootonly]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
                + "allowed_users = [\"root\"]\n",
            environment: DaemonTestFixtures.environment(), logToJournal: true, directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try FileManager.default.createDirectory(atPath: spool.path + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: spool.path + "/new", withIntermediateDirectories: true)
        let temporary = spool.path + "/tmp/by-nobody.json"
        try Self.task("by-nobody", connector: "rootonly", operation: "getRandomPassword", params: [:])
            .write(to: URL(fileURLWithPath: temporary))
        #expect(chown(temporary, 65534, 65534) == 0)
        #expect(rename(temporary, spool.path + "/new/by-nobody.json") == 0)
        try daemon.start()
        let result = try await spool.waitForResult(id: "by-nobody")
        #expect(Self.error(result).code == "NotAuthorized", "\(result)")
        #expect(try await daemon.stop() == .exited(0))

        let rejected = try await JournalTestHelper.readJournal(
            matching: ["_PID": String(daemon.pid), "MESSAGE_ID": "87ec36711a9247dcbe10c3f37320cc26"],
            since: daemon.startTime)
        let entry = try #require(rejected.first { $0["TASK_ID"] == "by-nobody" }, "\(rejected)")
        #expect(entry["ERROR_CODE"] == "NotAuthorized")
        #expect(entry["CONNECTOR_ID"] == "rootonly")
        #expect(entry["PEER_UID"] == "65534")
        #expect(entry["OPERATION"] == "getRandomPassword")
    }
}

extension Data {
    /// The task with `deadlineSeconds` set, so a task against an unreachable endpoint ends soon.
    fileprivate func replacingOperation(deadline: Int) -> Data {
        guard var object = (try? JSONSerialization.jsonObject(with: self)) as? [String: Any] else { return self }
        object["deadlineSeconds"] = deadline
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? self
    }
}
