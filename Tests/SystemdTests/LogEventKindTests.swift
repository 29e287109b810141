import Systemd
import Testing

@Suite struct LogEventKindTests {
    @Test func messageIDsAreDistinct128BitHex() {
        let ids = LogEventKind.allCases.map(\.messageID)
        #expect(Set(ids).count == LogEventKind.allCases.count)
        for id in ids {
            #expect(id.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
    }

    @Test func rawValuesAreTheDocumentedEventNames() {
        #expect(
            LogEventKind.allCases.map(\.rawValue) == [
                "started", "ready", "reloaded", "stopping", "task-claimed", "task-succeeded", "task-failed",
                "task-rejected", "credentials-refreshed", "credentials-refresh-failed", "static-stability-engaged",
                "credential-served", "credential-refused",
                "queue-failing", "queue-recovered", "task-redelivered",
            ])
        #expect("\(LogEventKind.taskClaimed)" == "task-claimed")
        #expect(LogEventKind.metadataKey == "event")
    }
}
