import Testing

@testable import TaskQueue

@Suite struct LineFramerTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aLineEndsAtTheNewlineAndLosesOneCarriageReturn() {
        let buffer = bytes("ab\r\ncd\n")
        #expect(LineFramer.next(in: buffer, consumed: 0, scanFrom: 0, maximumLineBytes: 8) == .line(0..<2, next: 4))
        #expect(LineFramer.next(in: buffer, consumed: 4, scanFrom: 4, maximumLineBytes: 8) == .line(4..<6, next: 7))
    }

    @Test func blankLinesAreSkipped() {
        #expect(LineFramer.next(in: bytes(" \t\r\n"), consumed: 0, scanFrom: 0, maximumLineBytes: 8) == .blank(next: 4))
        #expect(LineFramer.next(in: bytes("\n"), consumed: 0, scanFrom: 0, maximumLineBytes: 8) == .blank(next: 1))
    }

    @Test func anUnfinishedLineResumesAtTheEnd() {
        #expect(
            LineFramer.next(in: bytes("abc"), consumed: 0, scanFrom: 1, maximumLineBytes: 8) == .incomplete(scanFrom: 3)
        )
    }

    @Test func theLimitCountsTheLineWithoutItsTerminator() {
        #expect(
            LineFramer.next(in: bytes("abc\r\n"), consumed: 0, scanFrom: 0, maximumLineBytes: 3)
                == .line(0..<3, next: 5))
        #expect(LineFramer.next(in: bytes("abcd\n"), consumed: 0, scanFrom: 0, maximumLineBytes: 3) == .tooLong)
        #expect(LineFramer.next(in: bytes("abcd"), consumed: 0, scanFrom: 0, maximumLineBytes: 3) == .tooLong)
    }

    /// Found by FuzzLineFramer: the CR of a line of exactly the limit, at the end of a read whose
    /// newline comes in the next, made the line over-long.
    @Test func aLineOfExactlyTheLimitWhoseCRAndNewlineArriveApartIsNotTooLong() {
        #expect(
            LineFramer.next(in: bytes("abc\r"), consumed: 0, scanFrom: 0, maximumLineBytes: 3)
                == .incomplete(scanFrom: 4))
        #expect(
            LineFramer.next(in: bytes("abc\r\n"), consumed: 0, scanFrom: 4, maximumLineBytes: 3)
                == .line(0..<3, next: 5))
        #expect(LineFramer.next(in: bytes("abcd\r"), consumed: 0, scanFrom: 0, maximumLineBytes: 3) == .tooLong)
    }
}
