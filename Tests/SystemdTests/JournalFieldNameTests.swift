import Systemd
import Testing

@Suite struct JournalFieldNameTests {
    @Test(arguments: [
        // The project's conventional keys become the spec's fields.
        ("delegate_name", "DELEGATE_NAME"),
        ("task_id", "TASK_ID"),
        ("connector_id", "CONNECTOR_ID"),
        ("operation", "OPERATION"),
        ("secret_name", "SECRET_NAME"),
        ("aws_request_id", "AWS_REQUEST_ID"),
        ("error_code", "ERROR_CODE"),
        ("duration_ms", "DURATION_MS"),
        ("credential_source", "CREDENTIAL_SOURCE"),
        // Characters outside [A-Z0-9_] become `_`.
        ("http.status", "HTTP_STATUS"),
        ("a-b c", "A_B_C"),
        ("camelCase", "CAMELCASE"),
        ("größe", "GR__E"),
        ("emoji🙂", "EMOJI_"),
        ("ALREADY_OK_9", "ALREADY_OK_9"),
        // A leading `_` or digit gets the `F_` prefix.
        ("_private", "F__PRIVATE"),
        ("__SYSTEMD_UNIT", "F___SYSTEMD_UNIT"),
        ("2fa", "F_2FA"),
        (".hidden", "F__HIDDEN"),
        ("", "F_"),
        // Fields the handler owns are never overridden by metadata.
        ("message", "F_MESSAGE"),
        ("PRIORITY", "F_PRIORITY"),
        ("message_id", "F_MESSAGE_ID"),
        ("code_file", "F_CODE_FILE"),
        ("syslog_identifier", "F_SYSLOG_IDENTIFIER"),
        ("event", "F_EVENT"),
        // ... nor fields journalctl matches a unit or an invocation by.
        ("object_systemd_unit", "F_OBJECT_SYSTEMD_UNIT"),
        ("invocation_id", "F_INVOCATION_ID"),
        // UNIT is the contract's own field (credential requests), and journalctl -u reads it only
        // from PID 1.
        ("unit", "UNIT"),
    ])
    func rewritesKeys(key: String, expected: String) {
        #expect(JournalFieldName.sanitize(key) == expected)
    }

    @Test(arguments: [
        String(repeating: "k", count: 64),
        String(repeating: "k", count: 65),
        String(repeating: "é", count: 100),
        "9" + String(repeating: "x", count: 70),
    ])
    func everyResultIsAValidFieldName(key: String) throws {
        let name = JournalFieldName.sanitize(key)
        #expect(!name.isEmpty)
        #expect(name.utf8.count <= 64)
        #expect(name.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == 95 })
        let first = try #require(name.utf8.first)
        #expect(first != UInt8(ascii: "_") && !(48...57).contains(first))
    }

    @Test func longKeysAreCutTo64() {
        #expect(JournalFieldName.sanitize(String(repeating: "a", count: 80)) == String(repeating: "A", count: 64))
        #expect(
            JournalFieldName.sanitize("_" + String(repeating: "b", count: 80)) == "F__"
                + String(repeating: "B", count: 61))
    }
}
