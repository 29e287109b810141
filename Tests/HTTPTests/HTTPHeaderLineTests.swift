import Testing

@testable import HTTP

/// The response header lines curl hands over, read by bytes.
@Suite struct HTTPHeaderLineTests {
    private func line(_ text: String) -> HTTPHeaderLine {
        Array(text.utf8).withUnsafeBytes { HTTPHeaderLine($0) }
    }

    @Test func fieldsAreTrimmedOfSpacesAndTabsAndLineBreaks() {
        #expect(line("Content-Type: application/json\r\n") == .field(name: "Content-Type", value: "application/json"))
        #expect(line("X-A:\tv  w \t\r\n") == .field(name: "X-A", value: "v  w"))
        #expect(line(" \tName \t:value\n") == .continuation("Name \t:value"), "a leading blank folds the line")
        #expect(line("Empty:\r\n") == .field(name: "Empty", value: ""))
        #expect(line("Time: 12:00:01\r\n") == .field(name: "Time", value: "12:00:01"), "the first colon splits")
        #expect(line("Name: value\r\r\n") == .field(name: "Name", value: "value"))
    }

    @Test func statusLinesContinuationsAndTheRest() {
        #expect(line("HTTP/1.1 200 OK\r\n") == .statusLine)
        #expect(line("HTTP/2 100\r\n") == .statusLine)
        #expect(line("  more of the value \r\n") == .continuation("more of the value"))
        #expect(line("\t\r\n") == .continuation(""))
        #expect(line("\r\n") == .other, "the end of the block")
        #expect(line("") == .other)
        #expect(line("no colon here\r\n") == .other)
        #expect(line(" :\r\n") == .continuation(":"))
        #expect(line(":value\r\n") == .other, "an empty name is no field")
        #expect(line("http/1.1 200 OK\r\n") == .other, "the status prefix is upper case")
    }

    @Test func invalidUTF8IsRepairedNotRefused() {
        let bytes: [UInt8] = Array("X-Bin: a".utf8) + [0xFF, 0xFE] + Array("b\r\n".utf8)
        let parsed = bytes.withUnsafeBytes { HTTPHeaderLine($0) }
        #expect(parsed == .field(name: "X-Bin", value: "a\u{FFFD}\u{FFFD}b"))
    }
}
