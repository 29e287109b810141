/// The socket protocol's framing, as a pure function so it can be tested and fuzzed without a
/// socket: lines end at `\n`, a `\r` just before it is dropped, lines of only spaces and tabs
/// are skipped, and a line longer than the limit (counted without its terminator) is an error.
enum LineFramer {
    /// What the bytes from `consumed` on hold next.
    enum Step: Equatable {
        /// A complete line at `range` (without its `\n` and a `\r` before it); the next line
        /// starts at `next`.
        case line(Range<Int>, next: Int)
        /// A line of only spaces and tabs (or an empty one), skipped; the next starts at `next`.
        case blank(next: Int)
        /// No newline yet; `scanFrom` is where to resume looking once more bytes arrive.
        case incomplete(scanFrom: Int)
        /// The line from `consumed` is over `maximumLineBytes`, ended or not.
        case tooLong
    }

    /// The next step over `buffer[consumed...]`, looking for the newline from `scanFrom` on
    /// (bytes before `scanFrom` are known to hold none).
    static func next(in buffer: [UInt8], consumed: Int, scanFrom: Int, maximumLineBytes: Int) -> Step {
        guard let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) else {
            // A CR at the end may be the one before a newline still to come, which the limit
            // does not count: a line of exactly the limit is not refused for where a read ended.
            let trailingCR = buffer.count > consumed && buffer.last == UInt8(ascii: "\r") ? 1 : 0
            if buffer.count - consumed - trailingCR > maximumLineBytes { return .tooLong }
            return .incomplete(scanFrom: buffer.count)
        }
        var end = newline
        if end > consumed, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end - consumed > maximumLineBytes { return .tooLong }
        if buffer[consumed..<end].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return .blank(next: newline + 1)
        }
        return .line(consumed..<end, next: newline + 1)
    }
}
