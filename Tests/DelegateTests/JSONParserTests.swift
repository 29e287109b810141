import Foundation
@testable import JSON
import Testing

@testable import Delegate

/// `JSONParser` must accept exactly what `JSONDecoder` accepted for a `JSONValue` and build the
/// same value: tasks that were valid stay valid and mean the same; tasks that were refused stay
/// refused. Each case is compared with `JSONDecoder` itself, not with a written-down answer.
@Suite struct JSONParserTests {
    /// What the parser makes of `text`: nil when it refuses it.
    func parsed(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0)?.value }
    }

    func decoded(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static let edgeCases: [String] = [
        // Numbers: integers, whole numbers written with a fraction or exponent, overflow.
        "0", "-0", "1", "-1", "1.0", "-0.0", "1e2", "1E+2", "2.5e0", "0.1e1", "1.5", "1e-400", "4.9e-324",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "9.2233720368547758e18", "-9.223372036854775808e18", "4e18", "1e19", "-1e19", "1.0000000000000001",
        "100000000000000000000.0", "12345678901234567890", "1.5e308", "1.8e308", "1e400", "-1e400",
        "1e1000000000000", "0e0", "-0e-0", "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "1.0e", "-0.",
        "0x10", "1_000", "NaN", "Infinity", "[-]", "-a", "1234567890123456788.0", "123456789012234567.90",
        "9007199254740993.0", "9007199254740993.5", "-9007199254740993.5", "1.00000000000000000000001", "10.0e-1",
        "1234567890123456788e0", "123456789012345678.9e1", "0.5e1", "-5.0e-1", "1.5e18", "1.2345678901234567e18",
        "0e400", "0.0e-400", "0e1000000000000", "00.0", "-0.000e5", "9223372036854775807.0", "9223372036854774784.9",
        "-9223372036854774784.9", "123456789012345678.99999999999999999999999999999999999999999",
        "-9223372036854775808.0", "-9223372036854775807.9",
        "1000000000000000000.5", "9100000000000000000.5", "18446744073709551615e-1", "10000000000000000000000.0e-5",
        "1.0000000000000000000000000000000000009e17", "1.00000000000000000000000000000000000009e17",
        "1.000000000000000000000000000000000000009e17", "200000000000000000000000000000000000001e-20",
        "2000000000000000000000000000000000000001e-21", "300000000000000000000000000000000000005e-20",
        "400000000000000000000000000000000000001e-20", "-9223372036854775807.0", "9223372036854775295.0",
        // Strings and escapes.
        #""""#, #""a""#, #""\u00e9""#, #""\u00E9""#, #""\uD83D\uDE00""#, #""\ud83d\ude00""#, #""\uDBFF\uDFFF""#,
        #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, #""\ud800\udbff""#, #""\U0041""#, #""\u00""#, #""\x""#,
        #""a\u0000b""#, #""\/\\\"\b\f\n\r\t""#, "\"\t\"", "\"\u{7F}\"", "\"\u{0}\"", "\"é\u{301}\"", "\"unterminated",
        #""\"#, "\"a\\",
        // Literals, whitespace, trailing content.
        "true", "false", "null", "tru", "truex", "nul", "nulll", " {} ", "\n\t\r[ ]\r\n", "{} x", "", "  ",
        "\u{0C}1", "1\u{0C}", "[1]\u{0}", "\u{FEFF}{}", "\u{FEFF}1", "\u{FEFF}\u{FEFF}1", "\u{FEFF}", "/* c */ 1",
        "// c\n1",
        // Containers, trailing commas, keys.
        "[]", "{}", "[1,]", "[1,]  ", "[\n1\n,\n]", "[,]", "[1,,2]", "[1 2]", "[true false]", "[1,]]", "[1,]x",
        #"{"a":1,}"#, #"{"a" : 1 , }"#, #"{"a":1,,}"#, "{,}", #"{"a"}"#, #"{"a":}"#, "{1:2}", #"{"a":[1,],}"#,
        #"["a",]"#, #"{"a":1,"a":2}"#, #"{"a":{"b":[1,{"c":null}]}}"#, #"{"a" 1}"#,
        #"{"a":1 "b":2}"#,
    ]

    @Test(arguments: edgeCases)
    func agreesWithJSONDecoderOn(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(parsed(bytes) == decoded(bytes), "\(text.debugDescription)")
    }

    /// The one kind of input JSONDecoder took and the parser refuses: UTF-16 and UTF-32 without
    /// a byte order mark, which pass the UTF-8 check (NUL bytes are valid UTF-8). Tasks are UTF-8.
    @Test func utf16AndUTF32AreRefused() {
        for bytes: [UInt8] in [[0x7B, 0, 0x7D, 0], [0, 0x7B, 0, 0x7D], [0x7B, 0, 0, 0, 0x7D, 0, 0, 0]] {
            #expect(parsed(bytes) == nil)
        }
        #expect(decoded([0x7B, 0, 0x7D, 0]) == .object([:]), "JSONDecoder took it: the difference is real")
    }

    @Test func nestingIsRefusedPastFiveHundredAndTwelveLevelsAsJSONDecoderDoes() {
        for depth in [511, 512, 513, 600] {
            for (open, close) in [("[", "]"), (#"{"a":"#, "}")] {
                let bytes = Array((String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)).utf8)
                let parsed = self.parsed(bytes)
                #expect(parsed == decoded(bytes), "depth \(depth) \(open)")
                #expect((parsed != nil) == (depth <= JSONParser.maximumDepth), "depth \(depth) \(open)")
            }
        }
    }

    /// Foundation's `JSONDecoder` stops the process (a precondition failure) reading such a
    /// number as an integer, which it tried for every number in a task: one task could stop the
    /// delegate. The parser reads its exact value.
    @Test func aNumberThatStopsFoundationIsReadAsItsValue() throws {
        let number = "0." + String(repeating: "0", count: 150) + "1e168"
        #expect(parsed(Array(number.utf8)) == .integer(100_000_000_000_000_000))
        let task = #"{"id":"n","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getRandomPassword","params":{"passwordLength":\#(number)}}"#
        #expect(throws: TaskRejection.self) { try DelegateTask.decode(Data(task.utf8), defaultID: nil) }
    }

    /// What the delegate writes, it reads back as the same value, whatever the string holds;
    /// the escapes are the short ones where JSON has them.
    @Test func writtenStringsReadBackUnchanged() throws {
        var random = SplitMix64(seed: 7)
        let pieces = ["a", "\"", "\\", "/", "\n", "\r", "\t", "\u{8}", "\u{C}", "\u{0}", "\u{1F}", "\u{7F}",
            "\u{2028}", "\u{2029}", "\u{2027}", "é", "😀", "\u{E2}", "xyz", "\u{FFFE}", "\u{FFFF}", "\u{FFFD}", "\u{85}",
            "\u{9F}", "\u{A0}"]
        for _ in 0..<2000 {
            let string = (0..<Int.random(in: 0...8, using: &random)).map { _ in
                pieces.randomElement(using: &random) ?? ""
            }.joined()
            let text = JSONValue.string(string).jsonText
            #expect(!text.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "\(text.debugDescription)")
            #expect(!text.contains("\u{2028}") && !text.contains("\u{2029}"))
            #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, "C1 written raw: \(text.debugDescription)")
            // Characters an SQS message may not hold are never written as themselves.
            #expect(!text.unicodeScalars.contains { $0 == "\u{FFFE}" || $0 == "\u{FFFF}" })
            #expect(parsed(Array(text.utf8)) == .string(string), "\(string.debugDescription)")
        }
        #expect(JSONValue.string("\u{1}\u{7F}\u{2028}\"\\\u{8}\u{C}").jsonText == #""\u0001\u007f\u2028\"\\\b\f""#)
        #expect(JSONValue.string("a\u{FFFE}b\u{FFFF}c\u{FFFD}").jsonText == "\"a\\ufffeb\\uffffc\u{FFFD}\"")
    }

    @Test func aKeyGivenTwiceKeepsTheFirstValueAndIsReported() throws {
        let text = #"{"a":1,"b":{"c":2,"c":3},"a":4}"#
        let result = try #require(Array(text.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(result.hasDuplicateKeys)
        #expect(result.value == decoded(Array(text.utf8)))
        #expect(result.value == ["a": 1, "b": ["c": 2]])
        let single = try #require(Array(#"{"a":1,"b":{"a":2}}"#.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(!single.hasDuplicateKeys)
        // Objects inside objects, each key given twice with an object: every level keeps its own
        // members (the parser stacks them in one array for the whole document).
        let nested = #"{"a":{"x":1,"y":{"z":[{"k":1},{"k":2,"k":3}]}},"a":{"y":2},"b":{}}"#
        let deep = try #require(Array(nested.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(deep.hasDuplicateKeys)
        #expect(deep.value == ["a": ["x": 1, "y": ["z": [["k": 1], ["k": 2]]]], "b": [:]])
        #expect(deep.value == decoded(Array(nested.utf8)))

        // Keys equal as Swift strings but spelt differently are two keys (RFC 8259 compares
        // code units): no duplicate, each read by its own bytes.
        let spelt = "{\"\u{E9}\":1,\"e\u{301}\":2}"
        let two = try #require(Array(spelt.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(!two.hasDuplicateKeys)
        guard case .object(let members) = two.value else {
            Issue.record("not an object")
            return
        }
        #expect(members.count == 2)
        #expect(members["\u{E9}"] == 1)
        #expect(members["e\u{301}"] == 2)
    }

    /// The one difference in meaning from `JSONDecoder`: it took keys that are canonically
    /// equal (`"\u00e9"` and `"e\u0301"`) for one, as a Swift dictionary does; JSON and the
    /// parser take them for two, so a task naming both is not refused as a repeated key.
    @Test func canonicallyEqualKeysAreTwoKeysWhereJSONDecoderTookOne() {
        let bytes = Array(#"{"\u00e9":1,"e\u0301":2}"#.utf8)
        guard case .object(let object)? = parsed(bytes), case .object(let merged)? = decoded(bytes) else {
            Issue.record("not both objects")
            return
        }
        #expect(object.count == 2)
        #expect(merged.count == 1, "JSONDecoder took them for one: the difference is real")
    }

    /// Generated documents, valid and then damaged byte by byte (deleted, duplicated, replaced
    /// by a JSON-significant byte), from a fixed seed so a failure can be reproduced.
    @Test func agreesWithJSONDecoderOnGeneratedAndDamagedDocuments() {
        var random = SplitMix64(seed: 0x5EC2_E7DE_1E6A_7E01)
        let significant = Array(#"{}[],:"\-+.eE0123456789 tfnu/"#.utf8)
        var disagreements: [String] = []
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = Array(Self.document(depth: 0, random: &random).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(bytes[at], at: at)
                default: bytes[at] = significant.randomElement(using: &random) ?? 0x20
                }
            }
            guard String(validating: bytes, as: UTF8.self) != nil else { continue }
            let parsed = self.parsed(bytes)
            let decoded = self.decoded(bytes)
            if parsed != nil { accepted += 1 }
            // JSONDecoder never reads a value shadowed by a duplicate key, so it lets a bad
            // escape or number there through; such tasks were refused for the duplicate key, and
            // are refused as invalid JSON now (see `JSONParser`).
            let refusedEitherWay =
                parsed == nil && decoded != nil && bytes.withUnsafeBytes({ JSONParser.firstDuplicateKey(in: $0) }) != nil
            if parsed != decoded, !refusedEitherWay, disagreements.count < 5 {
                disagreements.append(String(decoding: bytes, as: UTF8.self).debugDescription)
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
        // Both outcomes were exercised, not only refusals.
        #expect(accepted > 500)
    }

    static func document(depth: Int, random: inout SplitMix64) -> String {
        let pick = Int.random(in: 0..<(depth > 4 ? 6 : 9), using: &random)
        switch pick {
        case 0: return ["true", "false", "null"].randomElement(using: &random) ?? "null"
        case 1: return String(Int64.random(in: Int64.min...Int64.max, using: &random) >> Int.random(in: 0...63, using: &random))
        case 2:
            let digits = (0..<Int.random(in: 1...22, using: &random)).map { _ in String(Int.random(in: 0...9, using: &random)) }
            let point = Int.random(in: 1...digits.count, using: &random)
            var number = (Bool.random(using: &random) ? "-" : "") + digits[..<point].joined()
            if point < digits.count { number += "." + digits[point...].joined() }
            if Bool.random(using: &random) { number += "e" + String(Int.random(in: -25...25, using: &random)) }
            return number
        case 3, 4, 5:
            let pieces = ["a", "é", "\\n", "\\u00e9", "\\uD83D\\uDE00", "\\\"", "\\\\", "😀", " ", "\\/", "x y", "\\t"]
            let count = Int.random(in: 0...4, using: &random)
            return "\"" + (0..<count).map { _ in pieces.randomElement(using: &random) ?? "" }.joined() + "\""
        case 6:
            let count = Int.random(in: 0...4, using: &random)
            let items = (0..<count).map { _ in document(depth: depth + 1, random: &random) }
            return "[" + items.joined(separator: Bool.random(using: &random) ? "," : " , ") + "]"
        default:
            // (Keys one escape apart are one key; canonically equal ones, "é" and "e\\u0301", are
            // two, where JSONDecoder took them for one: `canonicallyEqualKeysAreTwoKeys...`.)
            let keys = ["id", "operation", "params", "a", "b", "\\u0061", "é", "\\u00e9", ""]
            let count = Int.random(in: 0...4, using: &random)
            let members = (0..<count).map { _ in
                "\"\(keys.randomElement(using: &random) ?? "k")\":" + document(depth: depth + 1, random: &random)
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }
}

/// Where reading stopped in a document that is no JSON value, and why: what a refused task's
/// message says, so its producer can find the spot without the message quoting the task.
@Suite struct JSONParserStopTests {
    func stop(_ text: String) -> JSONParser.Stop? {
        Array(text.utf8).withUnsafeBytes { JSONParser.stop(in: $0) }
    }

    /// `stop` finds nothing exactly where the parse succeeds.
    @Test func aDocumentThatParsesHasNoStop() {
        for text in [#"{"a":1}"#, "\u{FEFF} [1, 2,] ", "\"\\ud83d\\ude00\"", "null\n", "1e308"] {
            #expect(stop(text) == nil, "\(text)")
            #expect(Array(text.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) } != nil)
        }
    }

    /// A lone surrogate (as Python's `surrogateescape` writes bytes that are not UTF-8) on the
    /// second line: the line and column where the escape ends, counted in bytes.
    @Test func aLoneSurrogateIsFoundByLineAndColumn() throws {
        let text = "{\"id\": \"a\",\n \"params\": {\"secretString\": \"\\udcff\"}}"
        let found = try #require(stop(text))
        #expect((found.line, found.column, found.offset, found.reason) == (2, 36, 47, .loneSurrogate))
        #expect(found.description == "the \\u escape ending at line 2, column 36 (after 47 bytes) is half a surrogate pair, no character")
        // A high surrogate without its low half, and with a high one after it.
        #expect(stop(#"["\ud800"]"#)?.reason == .loneSurrogate)
        #expect(stop(#"["\ud800\ud800"]"#)?.reason == .loneSurrogate)
    }

    @Test func aDocumentCutShortEndsBeforeItsJSON() throws {
        let found = try #require(stop(#"{"id": "#))
        #expect((found.offset, found.reason) == (7, .cutShort))
        #expect(found.description == "it ends after 7 bytes, before its JSON does (cut short?)")
        #expect(stop(#"{"a": [1, 2"#)?.reason == .cutShort)
        // Something after the value: where it starts.
        let trailing = try #require(stop(#"{"a":1} x"#))
        #expect((trailing.line, trailing.column, trailing.offset, trailing.reason) == (1, 9, 8, .syntax))
        #expect(trailing.description == "it is not JSON from line 1, column 9 (after 8 bytes) on")
    }

    /// A number past a double's range is named at its first byte, even as the last thing in the
    /// document (not "cut short").
    @Test func aNumberOutOfRangeIsNamedAtItsStart() throws {
        let inside = try #require(stop(#"{"id":"a","deadlineSeconds":1e999}"#))
        #expect((inside.column, inside.reason) == (29, .numberOutOfRange))
        let last = try #require(stop("-1e999"))
        #expect((last.offset, last.reason) == (0, .numberOutOfRange))
        #expect(last.description == "the number at line 1, column 1 (after 0 bytes) is out of a double's range")
    }

    /// Nothing but white space (a byte order mark, a CRLF) is empty, not cut short; a CRLF's CR
    /// stays on its line; a byte order mark counts in the column; the 513th bracket is too deep.
    @Test func emptyDocumentsLineEndsAndDepth() throws {
        for text in ["", " \n", "\u{FEFF}", "\r\n\t"] {
            #expect(stop(text)?.reason == .empty, "\(Array(text.utf8))")
        }
        let crlf = try #require(stop("{\"a\":\r\n x}"))
        #expect((crlf.line, crlf.column, crlf.reason) == (2, 2, .syntax))
        let marked = try #require(stop("\u{FEFF}{x}"))
        #expect((marked.line, marked.column, marked.offset) == (1, 5, 4))
        let deep = try #require(stop(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)))
        #expect((deep.offset, deep.reason) == (512, .tooDeep))
    }
}
