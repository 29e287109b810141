import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@Suite struct JournalLogHandlerTests {
    @Test func recordBecomesFields() {
        let fields = JournalLogHandler.fields(
            level: .error,
            message: "task failed",
            identifier: "secrets-delegate",
            label: "delegate.executor",
            metadata: [
                "task_id": "t-1", "event": "task-failed", "http.status": "403", "message": "spoof",
                "duration_ms": .stringConvertible(12),
            ],
            file: "Delegate/Executor.swift",
            function: "run(_:)",
            line: 42
        )
        #expect(
            fields.map(\.description) == [
                "MESSAGE=task failed", "PRIORITY=3", "SYSLOG_IDENTIFIER=secrets-delegate", "LOGGER=delegate.executor",
                "CODE_FILE=Delegate/Executor.swift", "CODE_LINE=42", "CODE_FUNC=run(_:)",
                "DURATION_MS=12",
                "MESSAGE_ID=\(LogEventKind.taskFailed.messageID)", "EVENT=task-failed",
                "HTTP_STATUS=403", "F_MESSAGE=spoof", "TASK_ID=t-1",
            ])
    }

    @Test func unknownEventKeepsTheNameButHasNoMessageID() {
        let fields = JournalLogHandler.fields(
            level: .info, message: "m", identifier: "i", label: "l", metadata: ["event": "something-else"],
            file: "f", function: "g", line: 1
        )
        #expect(fields.contains(JournalField(name: "EVENT", value: "something-else")))
        #expect(!fields.contains { $0.name == "MESSAGE_ID" })
    }

    /// Logs through the real journald and reads the record back with `journalctl -o json`.
    @Test func recordsReachTheRealJournal() async throws {
        try JournalTestHelper.ensureJournald()
        let marker = "journal-test-\(UUID().uuidString.lowercased())"
        var handler = JournalLogHandler(label: "systemd-tests.journal", identifier: "secrets-delegate-test")
        handler.logLevel = .debug
        handler[metadataKey: "delegate_name"] = "build-host-1"
        let logger = Logger(label: "systemd-tests.journal") { _ in handler }

        let line: UInt = #line + 1
        logger.warning(
            "task failed\nwith a second line",
            metadata: [
                "task_id": "\(marker)",
                "event": "\(LogEventKind.taskFailed)",
                "connector_id": "conn-7",
                "operation": "getSecretValue",
                "secret_name": "prod/db#password",
                "aws_request_id": "req-123",
                "error_code": "AccessDeniedException",
                "duration_ms": .stringConvertible(87),
                "credential_source": "imds",
                "http.status": "403",
            ]
        )
        logger.debug("second record", metadata: ["task_id": "\(marker)", "event": "\(LogEventKind.taskClaimed)"])

        let entries = try await JournalTestHelper.readJournal(matching: ["TASK_ID": marker], count: 2)
        #expect(entries.count == 2)
        let entry = try #require(entries.first { $0["EVENT"] == "task-failed" })
        #expect(entry["MESSAGE"] == "task failed\nwith a second line")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["MESSAGE_ID"] == LogEventKind.taskFailed.messageID)
        #expect(entry["SYSLOG_IDENTIFIER"] == "secrets-delegate-test")
        #expect(entry["LOGGER"] == "systemd-tests.journal")
        #expect(entry["CODE_FILE"] == "SystemdTests/JournalLogHandlerTests.swift")
        #expect(entry["CODE_LINE"] == String(line))
        #expect(entry["CODE_FUNC"] == "recordsReachTheRealJournal()")
        #expect(entry["DELEGATE_NAME"] == "build-host-1")
        #expect(entry["TASK_ID"] == marker)
        #expect(entry["CONNECTOR_ID"] == "conn-7")
        #expect(entry["OPERATION"] == "getSecretValue")
        #expect(entry["SECRET_NAME"] == "prod/db#password")
        #expect(entry["AWS_REQUEST_ID"] == "req-123")
        #expect(entry["ERROR_CODE"] == "AccessDeniedException")
        #expect(entry["DURATION_MS"] == "87")
        #expect(entry["CREDENTIAL_SOURCE"] == "imds")
        #expect(entry["HTTP_STATUS"] == "403")
        #expect(entry["_TRANSPORT"] == "journal")
        #expect(entry["_PID"] == String(ProcessInfo.processInfo.processIdentifier))

        let debug = try #require(entries.first { $0["EVENT"] == "task-claimed" })
        #expect(debug["PRIORITY"] == "7")
        #expect(debug["MESSAGE_ID"] == LogEventKind.taskClaimed.messageID)

        // journalctl can select by the event's MESSAGE_ID, as the README's recipes do.
        let byID = try await JournalTestHelper.readJournal(
            matching: ["MESSAGE_ID": LogEventKind.taskFailed.messageID, "TASK_ID": marker]
        )
        #expect(byID.count == 1)
    }
}
