import FuzzSupport
@testable import TaskQueue

/// The socket's line framing, without a socket: the input after its first two bytes arrives in
/// reads whose sizes come from those bytes (byte 0 also sets the line limit), driven the way
/// `SocketConnection` drives `LineFramer` (compacting after each read, a last unterminated line
/// ended by EOF). The lines must be exactly those of a plain split of the whole stream up to its
/// first over-long line, and the framer must refuse a line exactly when the split has one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineFramer(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    guard input.count >= 2 else { return 0 }
    let maximumLineBytes = Int(input[0] % 64) + 1
    let readSize = Int(input[1] % 16) + 1
    let stream = Array(input[2...])

    var framed: [[UInt8]] = []
    var tooLong = false
    var inbound: [UInt8] = []
    var scanFrom = 0
    func processLines() {
        var consumed = 0
        framing: while !tooLong {
            switch LineFramer.next(
                in: inbound, consumed: consumed, scanFrom: scanFrom, maximumLineBytes: maximumLineBytes)
            {
            case .incomplete(let resume):
                precondition(resume >= scanFrom && resume == inbound.count)
                scanFrom = resume
                break framing
            case .tooLong:
                tooLong = true
                break framing
            case .blank(let next):
                precondition(next > consumed && next <= inbound.count && inbound[next - 1] == UInt8(ascii: "\n"))
                consumed = next
                scanFrom = next
            case .line(let range, let next):
                precondition(range.lowerBound == consumed && range.upperBound < next && next <= inbound.count)
                precondition(range.count <= maximumLineBytes)
                framed.append(Array(inbound[range]))
                consumed = next
                scanFrom = next
            }
        }
        if consumed > 0, !tooLong {
            inbound.removeFirst(min(consumed, inbound.count))
            scanFrom = max(scanFrom - consumed, 0)
        }
    }
    var offset = 0
    while offset < stream.count, !tooLong {
        let end = min(offset + readSize, stream.count)
        inbound.append(contentsOf: stream[offset..<end])
        offset = end
        processLines()
    }
    if !tooLong, !inbound.isEmpty {
        inbound.append(UInt8(ascii: "\n"))
        processLines()
    }

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
