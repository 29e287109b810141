import Systemd
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
        let message = NotifyMessage.status("a\nb\u{2028}c\u{85}d\re")
        #expect(!message.formatted.contains { $0.isNewline })
        #expect(message.formatted == "STATUS=a b c d e")
    }
}
