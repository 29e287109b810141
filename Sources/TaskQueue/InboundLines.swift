import FoundationEssentials

/// What a socket connection read and has not yet handed on, framed into lines (``LineFramer``).
///
/// Bytes not yet handed on start at ``head``: a line taken is not cut from the front (that moved
/// the whole rest of a pipelined batch once per line), but once more than
/// ``compactionThreshold`` bytes of taken lines are before it. A pass over the buffer takes lines
/// with ``step(from:maximumLineBytes:)`` from ``head`` on and ends with ``consume(upTo:)`` where
/// its last step left off (the search for a newline resumes there: a pass not ended so is the
/// end of the buffer, ``discard()``, as for a connection whose lines cannot be handed on).
struct InboundLines {
    private(set) var bytes: [UInt8] = []
    /// Where the bytes not yet handed on start.
    private(set) var head = 0
    /// Where to look for the next newline from: `bytes[head..<scanFrom]` holds none.
    private(set) var scanFrom = 0
    /// Taken lines are cut from the front once more than this many bytes of them are there.
    let compactionThreshold: Int

    init(compactionThreshold: Int = 64 * 1024) {
        self.compactionThreshold = compactionThreshold
    }

    /// The bytes not yet handed on.
    var pendingCount: Int { bytes.count - head }

    /// What the buffer holds allocated.
    var capacity: Int { bytes.capacity }

    /// Whether the bytes not yet handed on hold a complete line (framing stopped at `scanFrom`:
    /// no newline before it).
    var holdsALine: Bool {
        bytes[max(scanFrom, head)...].contains(UInt8(ascii: "\n"))
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
    }

    /// The end of the stream ends a last line that has no newline; false when nothing is pending.
    mutating func endStream() -> Bool {
        guard pendingCount > 0 else { return false }
        bytes.append(UInt8(ascii: "\n"))
        return true
    }

    /// The next step over the bytes from `consumed` (``head``, or where the pass's last line
    /// ended), remembering where to resume looking for a newline.
    mutating func step(from consumed: Int, maximumLineBytes: Int) -> LineFramer.Step {
        let step = LineFramer.next(in: bytes, consumed: consumed, scanFrom: scanFrom, maximumLineBytes: maximumLineBytes)
        switch step {
        case .incomplete(let resume): scanFrom = resume
        case .blank(let next), .line(_, let next): scanFrom = next
        case .tooLong: break
        }
        return step
    }

    /// The line at `range` (from ``step(from:maximumLineBytes:)``), copied out.
    func line(_ range: Range<Int>) -> Data {
        Data(bytes[range])
    }

    /// Hands on the bytes before `consumed`: the buffer is emptied when nothing is left, and the
    /// taken lines cut from its front once past the threshold.
    mutating func consume(upTo consumed: Int) {
        guard consumed > head else { return }
        head = min(consumed, bytes.count)
        if head == bytes.count {
            bytes.empty()
            head = 0
            scanFrom = 0
        } else if head > compactionThreshold {
            bytes.removeFront(head)
            scanFrom = max(scanFrom - head, 0)
            head = 0
        }
    }

    /// Drops everything (a connection closed, a line too long).
    mutating func discard() {
        bytes = []
        head = 0
        scanFrom = 0
    }
}
