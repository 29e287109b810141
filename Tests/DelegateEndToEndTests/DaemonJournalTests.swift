import Foundation
import Glibc
import Testing
import TestSupport

/// The daemon logging natively to a real journald, read back with `journalctl -o json`.
@Suite struct DaemonJournalTests {
    /// The fixed `MESSAGE_ID`s of the README (the external contract), spelled out here so that
    /// a change to one fails this test.
    static let messageIDs = [
        "started": "1382b608f94f42d0b0db0c186a2e0e75",
        "ready": "b20d32c7a798457797805155f571e76b",
        "reloaded": "8504d030612a442580f8182de5daf1d7",
        "stopping": "962a3ac0fd8d4bc58b8cc2ef49ea2893",
        "task-claimed": "06f8c20a07774abe9e88099b5a8d06fc",
        "task-succeeded": "a0ab85ac82654f168c8cc7c5c4210169",
        "task-failed": "189a55ceed6b498885209e0bd5176b88",
        "task-rejected": "87ec36711a9247dcbe10c3f37320cc26",
    ]

    @Test func writesStructuredEventsToTheJournal() async throws {
        try await offPool { try JournalTestHelper.ensureJournald() }
        let server = try LoopbackHTTPServer { request in
            if request.bodyText.contains("missing") {
                return ScriptedResponse(
                    status: 400, headers: ["Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-missing-1"],
                    body: #"{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#)
            }
            return DaemonTestFixtures.getSecretValueResponse(name: "e2e/present", value: "journal-test-value")
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "journal")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDJOURNALTEST", "secret-key": "journal-test-secret"], in: directory)
        let name = DaemonTestFixtures.uniqueName("journal")
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(name: name, tags: ["journal"], directory: directory, endpoint: server.baseURL),
            environment: DaemonTestFixtures.environment(), logToJournal: true, directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try spool.enqueue(id: "present", json: DaemonTestFixtures.task(id: "present", operation: "getSecretValue", params: ["name": "present"]))
        try spool.enqueue(id: "missing", json: DaemonTestFixtures.task(id: "missing", operation: "getSecretValue", params: ["name": "missing"]))
        try spool.enqueue(id: "invalid", json: #"{"id":"invalid","operation":"getSecretValue"}"#)
        try daemon.start()

        #expect(try await spool.waitForResult(id: "present")["status"] as? String == "succeeded")
        #expect(try await spool.waitForResult(id: "missing")["status"] as? String == "failed")
        #expect(try await spool.waitForResult(id: "invalid")["status"] as? String == "rejected")
        #expect(try await daemon.stop() == .exited(0))

        let pid = String(daemon.pid)
        _ = try await JournalTestHelper.readJournal(
            matching: ["_PID": pid, "MESSAGE_ID": Self.messageIDs["stopping"] ?? ""], since: daemon.startTime)
        let entries = try await JournalTestHelper.readJournal(matching: ["_PID": pid], since: daemon.startTime)
        // Natively, not through stderr: the stderr file stays empty.
        #expect(daemon.stderrText.isEmpty, "\(daemon.stderrText)")

        for entry in entries {
            #expect(entry["SYSLOG_IDENTIFIER"] == "secrets-delegate", "\(entry)")
            #expect(!(entry["MESSAGE"] ?? "").isEmpty, "\(entry)")
            #expect((0...7).contains(Int(entry["PRIORITY"] ?? "") ?? -1), "\(entry)")
            #expect((entry["CODE_FILE"] ?? "").hasSuffix(".swift"), "\(entry)")
            #expect(Int(entry["CODE_LINE"] ?? "") ?? 0 > 0, "\(entry)")
            #expect(!(entry["CODE_FUNC"] ?? "").isEmpty, "\(entry)")
            #expect(entry["DELEGATE_NAME"] == name, "\(entry)")
        }
        func event(_ kind: String, task: String? = nil) throws -> JournalEntry {
            let id = try #require(Self.messageIDs[kind])
            return try #require(
                entries.first { $0["MESSAGE_ID"] == id && (task == nil || $0["TASK_ID"] == task) },
                "no \(kind) entry\(task.map { " for \($0)" } ?? ""); entries:\n\(entries.map(\.description).joined(separator: "\n"))")
        }
        // The lifecycle's lines are notices: written at log_level = "notice" too.
        for kind in ["started", "ready", "stopping"] {
            #expect(try event(kind)["PRIORITY"] == "5")
        }
        for task in ["present", "missing"] {
            let claimed = try event("task-claimed", task: task)
            #expect(claimed["OPERATION"] == "getSecretValue")
            #expect(claimed["CONNECTOR_ID"] == "e2eConnector")
        }

        let succeeded = try event("task-succeeded", task: "present")
        #expect(succeeded["PRIORITY"] == "6")
        #expect(succeeded["OPERATION"] == "getSecretValue")
        #expect(succeeded["CONNECTOR_ID"] == "e2eConnector")
        #expect(succeeded["SECRET_NAME"] == "e2e/present")
        #expect(succeeded["CREDENTIAL_SOURCE"] != nil)
        #expect(Int(succeeded["DURATION_MS"] ?? "") != nil)

        let failed = try event("task-failed", task: "missing")
        #expect(failed["PRIORITY"] == "4")
        #expect(failed["ERROR_CODE"] == "ResourceNotFoundException")
        #expect(failed["AWS_REQUEST_ID"] == "req-missing-1")
        #expect(failed["SECRET_NAME"] == "e2e/missing")
        #expect(Int(failed["DURATION_MS"] ?? "") != nil)

        let rejected = try event("task-rejected", task: "invalid")
        #expect(rejected["PRIORITY"] == "4")
        #expect(rejected["ERROR_CODE"] == "InvalidTask")
    }
}
