import Foundation
import Glibc
import Testing
import TaskQueue
import TestSupport

/// The credentials socket (section 11) on the built daemon with a scripted AWS endpoint: its journal
/// lines in a real journald, `[[credential]]` entries applied by a reload, and a graceful stop.
@Suite struct CredentialSocketDaemonTests {
    /// The fixed `MESSAGE_ID`s of credential requests (the external contract).
    static let served = "e55db4e34ab243a295689df89ea6c2ad"
    static let refused = "111c1dbfd96e46589d35c40901d07e07"

    static func configuration(
        name: String, directory: TemporaryDirectory, endpoint: String, entries: String
    ) -> String {
        DaemonTestFixtures.configuration(name: name, tags: ["journal"], directory: directory, endpoint: endpoint)
            .replacingOccurrences(
                of: "rescan_interval_seconds = 1",
                with: "rescan_interval_seconds = 1\ncredentials_socket_path = \"\(directory.path("credentials.sock"))\"")
            + """
            [connectors.prod]
            region = "us-east-1"
            secret_name_prefix = "e2e"
            credentials = { type = "accessKey", access_key_id_ref = "key-id", secret_access_key_ref = "secret-key" }
            allowed_units = ["app.service", "later.service"]

            \(entries)
            """
    }

    static let appEntry = """
        [[credential]]
        unit = "app.service"
        id = "db"
        connector = "prod"
        secret = "present"

        [[credential]]
        unit = "*"
        id = "shared"
        connector = "prod"
        secret = "present"

        """

    /// Maps later.service, which the connector admits.
    static let laterEntry = """
        [[credential]]
        unit = "later.service"
        id = "db"
        connector = "prod"
        secret = "present"

        """

    @Test func requestsAreJournaledWithTheirUnitAndEntriesApplyOnReload() async throws {
        try await offPool { try JournalTestHelper.ensureJournald() }
        let server = try LoopbackHTTPServer { _ in
            DaemonTestFixtures.getSecretValueResponse(name: "e2e/present", value: "journal-credential-value")
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "credjournal")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDJOURNALTEST", "secret-key": "journal-test-secret"], in: directory)
        let name = DaemonTestFixtures.uniqueName("credjournal")
        let daemon = try DaemonProcess(
            configuration: Self.configuration(
                name: name, directory: directory, endpoint: server.baseURL, entries: Self.appEntry),
            environment: DaemonTestFixtures.environment(), logToJournal: true, directory: directory)
        try daemon.start()
        let socket = directory.path("credentials.sock")
        #expect(await eventually { FileManager.default.fileExists(atPath: socket) })

        func ask(_ unit: String, id: String = "db") async throws -> Data? {
            try await CredentialPeer.request(path: socket, boundTo: CredentialPeer.systemdName(unit: unit, id: id))
        }
        #expect(try await ask("app.service") == Data("journal-credential-value".utf8))
        // A "*" entry: the connector's allowed_units refuses intruder.service.
        #expect(try await ask("intruder.service", id: "shared")?.count == CredentialSocketServer.refusalLength)
        #expect(try await ask("later.service")?.count == CredentialSocketServer.refusalLength)

        // A reload maps later.service; the next request is served.
        try daemon.writeConfiguration(
            Self.configuration(
                name: name, directory: directory, endpoint: server.baseURL,
                entries: Self.appEntry + Self.laterEntry))
        daemon.signal(SIGHUP)
        #expect(
            try await eventually(every: .milliseconds(100)) {
                try await ask("later.service") == Data("journal-credential-value".utf8)
            })
        #expect(try await daemon.stop() == .exited(0))

        let pid = String(daemon.pid)
        let refusals = try await JournalTestHelper.readJournal(
            matching: ["_PID": pid, "MESSAGE_ID": Self.refused], since: daemon.startTime, count: 2)
        let intruder = try #require(refusals.first { $0["UNIT"] == "intruder.service" }, "\(refusals)")
        #expect(intruder["CREDENTIAL_ID"] == "shared")
        #expect(intruder["CONNECTOR_ID"] == "prod")
        #expect(intruder["ERROR_CODE"] == "NotAuthorized")
        #expect(intruder["PEER_UID"] == "0")
        let unmapped = try #require(refusals.first { $0["UNIT"] == "later.service" }, "\(refusals)")
        #expect(unmapped["ERROR_CODE"] == "NoMapping")
        let served = try await JournalTestHelper.readJournal(
            matching: ["_PID": pid, "MESSAGE_ID": Self.served], since: daemon.startTime, count: 2)
        #expect(Set(served.compactMap { $0["UNIT"] }) == ["app.service", "later.service"])
        let everything = try await JournalTestHelper.readJournal(matching: ["_PID": pid], since: daemon.startTime)
        #expect(!everything.contains { $0.description.contains("journal-credential-value") })
    }

    @Test func aRequestInFlightAtSIGTERMIsStillAnswered() async throws {
        // Every AWS call answers after a pause, so that the read is surely in flight at SIGTERM.
        let server = try LoopbackHTTPServer { _ in
            var response = DaemonTestFixtures.getSecretValueResponse(name: "e2e/present", value: "stop-value")
            response.delay = .seconds(2)
            return response
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "credstop")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDSTOPTEST", "secret-key": "stop-test-secret"], in: directory)
        let daemon = try DaemonProcess(
            configuration: Self.configuration(
                name: DaemonTestFixtures.uniqueName("credstop"), directory: directory, endpoint: server.baseURL,
                entries: Self.appEntry),
            environment: DaemonTestFixtures.environment(), directory: directory)
        try daemon.start()
        let socket = directory.path("credentials.sock")
        #expect(await eventually { FileManager.default.fileExists(atPath: socket) })

        async let value = CredentialPeer.request(
            path: socket, boundTo: CredentialPeer.systemdName(unit: "app.service", id: "db"))
        try #require(
            await eventually(within: .seconds(90)) { server.requestsServed >= 1 },
            "the read reaches the AWS endpoint")
        let termination = try await daemon.stop(signal: SIGTERM)
        #expect(termination == .exited(0), "\(daemon.stderrText)")
        #expect(try await value == Data("stop-value".utf8), "\(daemon.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
