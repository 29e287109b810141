import Testing

@testable import HTTP

/// The header list curl reads in place: nodes and lines in one block of ours.
@Suite struct CurlHeaderListTests {
    @Test func linesAreLinkedInOrderWithTheirTerminators() {
        var builder = CurlHeaderList.Builder(capacity: 8)
        builder.addLine { $0.append(contentsOf: Array("Host: example.com".utf8)) }
        builder.addLine("Expect:")
        builder.addLine { $0.append(contentsOf: Array("X-Empty;".utf8)) }
        let long = "Authorization: " + String(repeating: "a", count: 600)
        builder.addLine { $0.append(contentsOf: Array(long.utf8)) }
        let list = CurlHeaderList(builder)
        #expect(list.lines == ["Host: example.com", "Expect:", "X-Empty;", long])
        let fourth = list.raw!.pointee.next!.pointee.next!.pointee.next!
        #expect(String(cString: fourth.pointee.data) == long)
        #expect(fourth.pointee.next == nil)
        #expect(Int(bitPattern: list.raw!) % MemoryLayout<UnsafeRawPointer>.alignment == 0)
    }

    @Test func noLinesIsNoList() {
        #expect(CurlHeaderList(CurlHeaderList.Builder(capacity: 0)).raw == nil)
    }
}
