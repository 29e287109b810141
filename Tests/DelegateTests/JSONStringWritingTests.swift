@testable import JSON
import Testing

/// `JSONValue.writeString` against a plain reference escaper, character by character: the
/// writer copies runs of plain bytes whole, and must escape exactly what the reference does
/// wherever in a run the character falls; and the parser reads every string back.
@Suite struct JSONStringWritingTests {
    /// The rules, one scalar at a time (section "JSON" of INTERFACE: `"`, `\`, control characters
    /// (C0 and C1) and DEL, U+2028/U+2029, U+FFFE/U+FFFF escaped; everything else as UTF-8).
    static func reference(_ string: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in string.unicodeScalars {
            let text: String
            switch scalar.value {
            case 0x22: text = "\\\""
            case 0x5C: text = "\\\\"
            case 0x0A: text = "\\n"
            case 0x0D: text = "\\r"
            case 0x09: text = "\\t"
            case 0x08: text = "\\b"
            case 0x0C: text = "\\f"
            case 0..<0x20, 0x7F...0x9F:
                let hex = String(scalar.value, radix: 16)
                text = "\\u00" + (hex.count == 1 ? "0" + hex : hex)
            case 0x2028: text = "\\u2028"
            case 0x2029: text = "\\u2029"
            case 0xFFFE: text = "\\ufffe"
            case 0xFFFF: text = "\\uffff"
            default: text = String(scalar)
            }
            out.append(contentsOf: text.utf8)
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    static func written(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONValue.writeString(string, into: &out)
        return out
    }

    @Test func everyCharacterThatNeedsALookIsEscapedWhereverItFalls() {
        let specials: [Unicode.Scalar] =
            (0...0x7F).map { Unicode.Scalar(UInt8($0)) }
            + ["\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "\u{E9}", "\u{2028}", "\u{2029}", "\u{202E}", "\u{FFFD}", "\u{FFFE}", "\u{FFFF}", "\u{1F511}"]
        for special in specials {
            for length in [1, 7, 8, 9, 15, 16, 17, 24] {
                for position in 0..<length {
                    var scalars = String.UnicodeScalarView(repeating: "a", count: length)
                    scalars.replaceSubrange(
                        scalars.index(scalars.startIndex, offsetBy: position)...scalars.index(
                            scalars.startIndex, offsetBy: position), with: [special])
                    let string = String(scalars)
                    #expect(Self.written(string) == Self.reference(string), "U+\(String(special.value, radix: 16)) at \(position) of \(length)")
                }
            }
        }
    }

    /// What is written reads back as the same string, wherever in a run of plain bytes the
    /// escape falls; a raw control character anywhere in a string is refused.
    @Test func everyStringReadsBackAndARawControlCharacterIsRefusedWhereverItFalls() {
        func parsed(_ bytes: [UInt8]) -> JSONValue? {
            bytes.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0)?.value }
        }
        for special in ["\"", "\\", "\n", "\u{1}", "\u{7F}", "\u{E9}", "\u{2028}", "\u{FFFE}", "\u{1F511}"] {
            for length in [1, 7, 8, 9, 16, 17, 24] {
                for position in 0..<length {
                    let string = String(repeating: "a", count: position) + special
                        + String(repeating: "b", count: length - position - 1)
                    #expect(parsed(Self.written(string)) == .string(string), "\(special.debugDescription) at \(position)")
                }
            }
        }
        for length in [1, 8, 9, 16, 24] {
            for position in 0..<length {
                var bytes = Array("\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: length) + Array("\"".utf8)
                bytes[1 + position] = 0x0A
                #expect(parsed(bytes) == nil, "a raw newline at \(position) of \(length)")
            }
        }
    }

    @Test func mixedStringsMatchTheReference() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "~", "\"", "\\", "\n", "\u{1}", "\u{7F}", "\u{85}", "\u{E9}", "\u{2028}", "\u{FFFE}", "\u{1F511}"]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...40, using: &generator)
            var scalars = String.UnicodeScalarView()
            for _ in 0..<count { scalars.append(alphabet.randomElement(using: &generator)!) }
            let string = String(scalars)
            #expect(Self.written(string) == Self.reference(string), "\(string.debugDescription)")
        }
    }
}
