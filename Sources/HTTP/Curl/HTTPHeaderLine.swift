/// One line of a response's header block as curl hands it over (line break included), read
/// byte by byte: curl calls back once per line of every response, so this runs several times
/// per request and must not walk `Character`s.
enum HTTPHeaderLine: Equatable {
    /// `HTTP/...`: a new response begins (after a 1xx or a proxy's answer).
    case statusLine
    /// A folded line (starts with a space or tab): more of the previous field's value, trimmed.
    case continuation(String)
    /// `name: value`, both trimmed of spaces and tabs; the name is never empty.
    case field(name: String, value: String)
    /// The blank line that ends the block, or a line that is none of the above.
    case other

    init(_ bytes: UnsafeRawBufferPointer) {
        var end = bytes.count
        while end > 0, bytes[end - 1] == Self.carriageReturn || bytes[end - 1] == Self.lineFeed { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        if line.starts(with: Self.statusPrefix) {
            self = .statusLine
        } else if let first = line.first, Self.isBlank(first) {
            self = .continuation(Self.trimmed(line, 0..<line.count))
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = Self.trimmed(line, 0..<colon)
            self = name.isEmpty ? .other : .field(name: name, value: Self.trimmed(line, (colon + 1)..<line.count))
        } else {
            self = .other
        }
    }

    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let statusPrefix = Array("HTTP/".utf8)

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// `range` of `line` without leading and trailing spaces and tabs, as a string (invalid
    /// UTF-8 repaired).
    private static func trimmed(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isBlank(line[lower]) { lower += 1 }
        while upper > lower, isBlank(line[upper - 1]) { upper -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[lower..<upper]), as: UTF8.self)
    }
}
