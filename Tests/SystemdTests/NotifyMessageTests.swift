@testable import Systemd
import Testing

@Suite struct NotifyMessageTests {
    @Test(arguments: [
        (NotifyMessage.ready, "READY=1"),
        (.reloading(monotonicMicroseconds: 123_456_789), "RELOADING=1\nMONOTONIC_USEC=123456789"),
        (.stopping, "STOPPING=1"),
        (.watchdog, "WATCHDOG=1"),
        (.status("3 in flight, 10 done, 1 failed"), "STATUS=3 in flight, 10 done, 1 failed"),
        (.status("first line\nsecond\r\nthird"), "STATUS=first line second third"),
        (.status("  padded \n"), "STATUS=padded"),
        (.status(""), "STATUS="),
    ])
    func formatsAssignments(message: NotifyMessage, expected: String) {
        #expect(message.formatted == expected)
    }

    @Test func statusIsAlwaysOneLine() {
        let message = NotifyMessage.status("a\nb\u{2028}c\u{85}d\re\u{0}f")
        #expect(!message.formatted.contains { $0.isNewline })
        #expect(message.formatted == "STATUS=a b c d e f", "a NUL would end the message there")
    }

    /// The service manager ignores a notification larger than its buffer whole: a long status
    /// (an error with a long AWS message and paths) is cut, at a character, not lost.
    @Test func aLongStatusIsCutNotLost() {
        let long = NotifyMessage.status(String(repeating: "é", count: 5000)).formatted
        #expect(long.utf8.count <= "STATUS=".utf8.count + NotifyMessage.maximumStatusBytes + 3)
        #expect(long.hasPrefix("STATUS=éé") && long.hasSuffix("é..."))
        #expect(NotifyMessage.status("short").formatted == "STATUS=short")
    }
}
