import FuzzSupport
@testable import TaskQueue

/// The socket's line framing without a socket: ``InboundLines``, the buffer `SocketConnection`
/// frames with, fed the input after its first four bytes in reads whose sizes come from byte 1.
/// Byte 0 sets the line limit, byte 2 the compaction threshold (a few bytes, so that cutting
/// taken lines from the front happens all the time, not past 64 KiB), byte 3 how many lines a
/// pass may take (as lines in progress cap a connection's; one pass per read, and after the end
/// of the stream, which ends a last unterminated line, passes until none takes anything). The
/// lines must be exactly those of a plain split of the whole stream up to its first over-long
/// line, and the framer must refuse a line exactly when the split has one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineFramer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    guard input.count >= 4 else { return 0 }
    let maximumLineBytes = Int(input[0] % 64) + 1
    let readSize = Int(input[1] % 16) + 1
    let threshold = Int(input[2] % 32)
    let linesPerPass = Int(input[3] % 4) + 1
    let stream = Array(input[4...])

    var inbound = InboundLines(compactionThreshold: threshold)
    var framed: [[UInt8]] = []
    var tooLong = false
    /// One pass, as `SocketConnection.processLines` makes it; whether it took anything.
    func pass() -> Bool {
        var consumed = inbound.head
        var taken = 0
        framing: while !tooLong, taken < linesPerPass {
            switch inbound.step(from: consumed, maximumLineBytes: maximumLineBytes) {
            case .incomplete(let resume):
                precondition(resume == inbound.bytes.count && inbound.scanFrom == resume)
                break framing
            case .tooLong:
                tooLong = true
                inbound.discard()
                break framing
            case .blank(let next):
                precondition(next > consumed && next <= inbound.bytes.count && inbound.bytes[next - 1] == UInt8(ascii: "\n"))
                consumed = next
            case .line(let range, let next):
                precondition(range.lowerBound == consumed && range.upperBound < next && next <= inbound.bytes.count)
                precondition(range.count <= maximumLineBytes)
                framed.append(Array(inbound.line(range)))
                consumed = next
                taken += 1
            }
        }
        let moved = consumed > inbound.head
        inbound.consume(upTo: consumed)
        // Taken lines are cut once past the threshold (an emptied buffer starts again at 0), and
        // the newline search resumes among the bytes not handed on.
        precondition(inbound.head <= threshold && inbound.head <= inbound.bytes.count)
        precondition(inbound.scanFrom >= inbound.head && inbound.scanFrom <= inbound.bytes.count)
        return moved
    }
    var offset = 0
    while offset < stream.count, !tooLong {
        let end = min(offset + readSize, stream.count)
        stream[offset..<end].withUnsafeBytes { inbound.append($0) }
        offset = end
        _ = pass()
    }
    if !tooLong { _ = inbound.endStream() }
    while !tooLong, pass() {}
    if !tooLong { precondition(inbound.pendingCount == 0, "bytes left after the end of the stream") }

    // The reference: split on newlines, drop one trailing CR, check the length, skip blank lines.
    var expected: [[UInt8]] = []
    var expectedTooLong = false
    for var line in stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init) {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.count > maximumLineBytes {
            expectedTooLong = true
            break
        }
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
        expected.append(line)
    }
    precondition(tooLong == expectedTooLong, "an over-long line was framed, or a line within the limit refused")
    precondition(framed == expected, "framed lines differ from a plain split")
    return 0
}

@_cdecl("FuzzLineFramer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzLineFramer)
}
