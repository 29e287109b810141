extension JSONValue {
    /// Compact JSON text on one line: object keys sorted, `/` not escaped, control characters
    /// (including newlines inside strings) escaped, so the text fits one socket line.
    public var jsonText: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// Appends the compact JSON text of this value to `out`.
    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let bool): out += bool ? "true" : "false"
        case .integer(let integer): out += String(integer)
        case .number(let number): Self.writeNumber(number, into: &out)
        case .string(let string): Self.writeString(string, into: &out)
        case .array(let array):
            out += "["
            for (index, element) in array.enumerated() {
                if index > 0 { out += "," }
                element.write(into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, into: &out)
                out += ":"
                object[key]?.write(into: &out)
            }
            out += "}"
        }
    }

    /// Indented JSON text for people to read (`secrets-delegate status`): two spaces per level,
    /// `"key": value` with keys sorted, `/` not escaped; empty arrays and objects stay `[]`, `{}`.
    public var prettyText: String {
        var out = ""
        writePretty(into: &out, indent: 0)
        return out
    }

    private func writePretty(into out: inout String, indent: Int) {
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .array(let array) where !array.isEmpty:
            out += "[\n"
            for (index, element) in array.enumerated() {
                if index > 0 { out += ",\n" }
                out += inner
                element.writePretty(into: &out, indent: indent + 2)
            }
            out += "\n" + String(repeating: " ", count: indent) + "]"
        case .object(let object) where !object.isEmpty:
            out += "{\n"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out += ",\n" }
                out += inner
                Self.writeString(key, into: &out)
                out += ": "
                object[key]?.writePretty(into: &out, indent: indent + 2)
            }
            out += "\n" + String(repeating: " ", count: indent) + "}"
        default:
            write(into: &out)
        }
    }

    /// Non-finite numbers have no JSON form and become `null`; integral values print without
    /// a fraction.
    static func writeNumber(_ number: Double, into out: inout String) {
        guard number.isFinite else {
            out += "null"
            return
        }
        if number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
            out += String(Int64(number))
        } else {
            out += String(number)
        }
    }

    /// Appends `string` as a JSON string. Runs of bytes that need no escape are copied whole;
    /// escaped: `"`, `\\`, control characters and DEL, and U+2028/U+2029 (line separators to
    /// JavaScript).
    public static func writeString(_ string: String, into out: inout String) {
        out += "\""
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            func flush(upTo end: Int) {
                if end > runStart {
                    out += String(decoding: UnsafeBufferPointer(rebasing: utf8[runStart..<end]), as: UTF8.self)
                }
            }
            while index < utf8.count {
                let byte = utf8[index]
                var width = 1
                let escape: String
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "\n"): escape = "\\n"
                case UInt8(ascii: "\r"): escape = "\\r"
                case UInt8(ascii: "\t"): escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0..<0x20, 0x7F: escape = hexEscape(byte)
                case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80
                    && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                    escape = utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    width = 3
                default:
                    index += 1
                    continue
                }
                flush(upTo: index)
                out += escape
                index += width
                runStart = index
            }
            flush(upTo: utf8.count)
        }
        out += "\""
    }

    /// `\\u00XX` for a control character.
    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [
            UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), digits[Int(byte >> 4)],
            digits[Int(byte & 0x0F)],
        ], as: UTF8.self)
    }
}
