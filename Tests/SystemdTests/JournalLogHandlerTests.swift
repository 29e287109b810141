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

    /// Text from elsewhere reaches the journal as text: a carriage return, an escape, a C1 code
    /// or a bidirectional override is shown as `\u{..}` (else journalctl shows `[blob data]`);
    /// line breaks and tabs stay, as journalctl shows them.
    @Test func controlCharactersInValuesAreShownEscaped() {
        let fields = JournalLogHandler.fields(
            level: .warning, message: "endpoint said: no\r\u{1B}[2Jway\u{85} \u{E9}\nsecond\tline",
            identifier: "i", label: "l",
            metadata: ["message": "a\u{202E}b", "event": "x\u{7F}", "task_id": "plain"],
            file: "f", function: "g", line: 1)
        let values = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(values["MESSAGE"] == "endpoint said: no\\u{d}\\u{1b}[2Jway\\u{85} \u{E9}\nsecond\tline")
        #expect(values["F_MESSAGE"] == "a\\u{202e}b")
        #expect(values["EVENT"] == "x\\u{7f}")
        #expect(values["TASK_ID"] == "plain")
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
        // An endpoint's message with a carriage return and an escape: stored as text, which
        // journalctl prints (as binary, -o json would give an array of byte numbers).
        logger.warning(
            "endpoint said: no\r\u{1B}[2Jway", metadata: ["task_id": "\(marker)", "event": "escaped-record"])

        let entries = try await JournalTestHelper.readJournal(matching: ["TASK_ID": marker], count: 3)
        #expect(entries.count == 3)
        let escaped = try #require(entries.first { $0["EVENT"] == "escaped-record" })
        #expect(escaped["MESSAGE"] == "endpoint said: no\\u{d}\\u{1b}[2Jway")
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
