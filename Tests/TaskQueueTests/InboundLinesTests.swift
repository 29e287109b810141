import Foundation
import Testing

@testable import TaskQueue

/// The bytes a socket connection read and has not handed on: lines are taken from ``head`` on,
/// committed with `consume(upTo:)`, and cut from the front only once past the threshold.
@Suite struct InboundLinesTests {
    private func append(_ text: String, to lines: inout InboundLines) {
        Array(text.utf8).withUnsafeBytes { lines.append($0) }
    }

    private func take(_ lines: inout InboundLines) -> String? {
        guard case .line(let range, let next) = lines.step(from: lines.head, maximumLineBytes: 64) else { return nil }
        let line = String(decoding: lines.line(range), as: UTF8.self)
        lines.consume(upTo: next)
        return line
    }

    @Test func takenLinesAreCutFromTheFrontOnlyOncePastTheThreshold() {
        var lines = InboundLines(compactionThreshold: 8)
        append("ab\ncd\nef", to: &lines)
        #expect(take(&lines) == "ab")
        #expect(take(&lines) == "cd")
        // Six bytes taken, within the threshold: still at the front, not moved.
        #expect(lines.head == 6 && lines.bytes.count == 8)
        #expect(take(&lines) == nil)
        append("\ngh\n", to: &lines)
        #expect(take(&lines) == "ef")
        // Nine taken: cut, and what is left starts at 0.
        #expect(lines.head == 0 && lines.bytes == Array("gh\n".utf8))
        #expect(take(&lines) == "gh")
        // Nothing left: emptied, the search from the start.
        #expect(lines.pendingCount == 0 && lines.bytes.isEmpty && lines.scanFrom == 0)
    }

    /// A pass that stops after a line (lines in progress at their cap) goes on from there at the
    /// next, bytes read in between or not; a line split across reads is taken whole.
    @Test func aPassStoppedAfterALineGoesOnFromThereNextTime() {
        var lines = InboundLines()
        append("one\ntwo\nthr", to: &lines)
        #expect(take(&lines) == "one")
        #expect(lines.head == 4 && lines.scanFrom == 4)
        #expect(take(&lines) == "two")
        #expect(take(&lines) == nil)
        #expect(lines.scanFrom == lines.bytes.count)
        append("ee\n", to: &lines)
        #expect(take(&lines) == "three")
        #expect(lines.pendingCount == 0)
    }

    /// The end of the stream ends a last line without a newline; with nothing pending it adds none.
    @Test func theEndOfTheStreamEndsALastLine() {
        var lines = InboundLines()
        let endedEmpty = lines.endStream()
        #expect(!endedEmpty)
        append("last", to: &lines)
        #expect(take(&lines) == nil)
        #expect(!lines.holdsALine)
        let ended = lines.endStream()
        #expect(ended && lines.holdsALine)
        #expect(take(&lines) == "last")
        let endedAgain = lines.endStream()
        #expect(!endedAgain)
    }
}
