extension JSONValue {
    /// Compact JSON text on one line: object keys sorted, `/` not escaped, control characters
    /// (including newlines inside strings) escaped, so the text fits one socket line.
    public var jsonText: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// ``jsonText`` as UTF-8 bytes, without the trip through a `String`.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(into: &out)
        return out
    }

    /// Appends the compact JSON text of this value to `out`, as UTF-8. The writer works on bytes:
    /// a result line is written for every task, and appending to a `String` piece by piece cost
    /// more than the rest of the line's work.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: Self.nullText)
        case .bool(let bool): out.append(contentsOf: bool ? Self.trueText : Self.falseText)
        case .integer(let integer): out.append(contentsOf: String(integer).utf8)
        case .number(let number): Self.writeNumber(number, into: &out)
        case .string(let string): Self.writeString(string, into: &out)
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.sortedMembers.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Indented JSON text for people to read (`secrets-delegate status`): two spaces per level,
    /// `"key": value` with keys sorted, `/` not escaped; empty arrays and objects stay `[]`, `{}`.
    public var prettyText: String {
        var out: [UInt8] = []
        writePretty(into: &out, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func writePretty(into out: inout [UInt8], indent: Int) {
        switch self {
        case .array(let array) where !array.isEmpty:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(indent: indent + 2, into: &out)
                element.writePretty(into: &out, indent: indent + 2)
            }
            Self.newline(indent: indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.sortedMembers.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(indent: indent + 2, into: &out)
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                member.value.writePretty(into: &out, indent: indent + 2)
            }
            Self.newline(indent: indent, into: &out)
            out.append(UInt8(ascii: "}"))
        default:
            write(into: &out)
        }
    }

    private static func newline(indent: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    /// Non-finite numbers have no JSON form and become `null`; integral values print without
    /// a fraction.
    static func writeNumber(_ number: Double, into out: inout [UInt8]) {
        guard number.isFinite else {
            out.append(contentsOf: nullText)
            return
        }
        if number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(number)).utf8)
        } else {
            out.append(contentsOf: String(number).utf8)
        }
    }

    /// Appends `string` as a JSON string, as UTF-8. Runs of bytes that need no escape are copied
    /// whole; escaped: `"`, `\\`, control characters (C0 and C1, U+0085 a line break to many
    /// readers) and DEL, U+2028/U+2029 (line separators to JavaScript), and U+FFFE/U+FFFF (which
    /// an SQS message may not hold).
    public static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                // Printable ASCII other than the quote and the backslash: most bytes, decided at once.
                if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                var width = 1
                let escaped: UInt8
                switch byte {
                case UInt8(ascii: "\""): escaped = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case 0x08: escaped = UInt8(ascii: "b")
                case 0x0C: escaped = UInt8(ascii: "f")
                case 0..<0x20, 0x7F: escaped = 0
                case 0xC2 where index + 1 < utf8.count && (0x80...0x9F).contains(utf8[index + 1]):
                    escaped = 0
                    width = 2
                case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80
                    && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                    escaped = 0
                    width = 3
                // U+FFFE and U+FFFF: valid JSON, but characters an SQS message may not hold, so a
                // result holding one could never be sent.
                case 0xEF where index + 2 < utf8.count && utf8[index + 1] == 0xBF
                    && (utf8[index + 2] == 0xBE || utf8[index + 2] == 0xBF):
                    escaped = 0
                    width = 3
                default:
                    index += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                out.append(UInt8(ascii: "\\"))
                if escaped != 0 {
                    out.append(escaped)
                } else if width == 2 {
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(hexDigit(utf8[index + 1] >> 4))
                    out.append(hexDigit(utf8[index + 1] & 0x0F))
                } else if width == 3 {
                    switch utf8[index + 2] {
                    case 0xA8: out.append(contentsOf: lineSeparatorEscape)
                    case 0xA9: out.append(contentsOf: paragraphSeparatorEscape)
                    case 0xBE: out.append(contentsOf: nonCharacterFFFEEscape)
                    default: out.append(contentsOf: nonCharacterFFFFEscape)
                    }
                } else {
                    out.append(UInt8(ascii: "u"))
                    out.append(UInt8(ascii: "0"))
                    out.append(UInt8(ascii: "0"))
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0x0F))
                }
                index += width
                runStart = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static let nullText = Array("null".utf8)
    private static let trueText = Array("true".utf8)
    private static let falseText = Array("false".utf8)
    /// After the backslash.
    private static let lineSeparatorEscape = Array("u2028".utf8)
    private static let paragraphSeparatorEscape = Array("u2029".utf8)
    private static let nonCharacterFFFEEscape = Array("ufffe".utf8)
    private static let nonCharacterFFFFEscape = Array("uffff".utf8)
}
