@testable import JSON
import Testing

/// A JSON object's members: in order, each key once, equal and hashed whatever their order.
@Suite struct JSONObjectTests {
    private func parse(_ text: String) throws -> JSONParser.Parsed {
        try #require(Array(text.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
    }

    @Test func membersKeepTheirOrderAndAreReadReplacedAndRemovedByKey() {
        var object: JSONObject = ["b": 1, "a": 2]
        #expect(object.keys == ["b", "a"])
        #expect(object["a"] == 2)
        #expect(object["c"] == nil)
        object["b"] = "x"
        object["c"] = true
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["b"] == "x")
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object.removeValue(forKey: "b") == "x")
        #expect(object.removeValue(forKey: "b") == nil)
        #expect(object.count == 1)
        #expect(!object.isEmpty)
    }

    /// Keys are bytes: canonically equal spellings are two members, read, written and compared
    /// each by its own bytes, in one order whatever order they were added in.
    @Test func canonicallyEqualKeysAreTwoMembersInAStableOrder() {
        // The Ångström sign and A with a combining ring: canonically equal, three bytes each.
        let (sign, decomposed) = ("\u{212B}", "A\u{30A}")
        var object: JSONObject = [:]
        object[decomposed] = 2
        object[sign] = 1
        #expect(object.count == 2)
        #expect(object[sign] == 1)
        #expect(object[decomposed] == 2)
        var other: JSONObject = [:]
        other[sign] = 1
        other[decomposed] = 2
        #expect(object == other)
        #expect(object.sortedMembers.map { Array($0.key.utf8) } == other.sortedMembers.map { Array($0.key.utf8) })
        #expect(JSONValue.object(object).jsonBytes == JSONValue.object(other).jsonBytes)
        other[decomposed] = 3
        #expect(object != other)
    }

    /// One key is the same bytes, whatever `==` says, and whichever way the strings were made.
    @Test func keysAreTheSameOnlyAsTheSameBytes() {
        #expect(JSONKey.same("secretString", "secretString"))
        #expect(JSONKey.same("", ""))
        #expect(!JSONKey.same("secretString", "secretStrinG"))
        #expect(!JSONKey.same("name", "names"))
        #expect(!JSONKey.same("\u{212B}", "A\u{30A}"), "canonically equal, other bytes")
        #expect(!JSONKey.same("\u{E9}", "e\u{301}"), "canonically equal, other lengths")
        let built = String(decoding: Array("pr\u{E9}fix".utf8), as: UTF8.self)
        let sliced = String("x-pr\u{E9}fix".dropFirst(2))
        #expect(JSONKey.same(built, sliced) && JSONKey.same(sliced, "pr\u{E9}fix"))
        #expect(JSONKey.same("a-key-longer-than-fifteen-bytes", "a-key-longer-than-fifteen-" + "bytes"))
        // Eight bytes at a time, then the rest: a difference in either part, at either end.
        for length in [1, 7, 8, 9, 16, 23, 40] {
            let key = String(repeating: "k", count: length)
            #expect(JSONKey.same(key, String(repeating: "k", count: length)))
            for position in Set([0, length / 2, length - 1]) {
                var bytes = Array(key.utf8)
                bytes[position] = UInt8(ascii: "j")
                #expect(!JSONKey.same(key, String(decoding: bytes, as: UTF8.self)), "length \(length), at \(position)")
            }
        }
    }

    @Test func aLiteralWithAKeyTwiceKeepsTheLastValueInTheFirstPlace() {
        let object: JSONObject = ["k": 1, "other": 2, "k": 3]
        #expect(object.keys == ["k", "other"])
        #expect(object["k"] == 3)
        let value: JSONValue = ["k": 1, "k": 2]
        #expect(value["k"] == 2)
    }

    @Test func equalityAndHashIgnoreOrder() {
        let one: JSONObject = ["a": 1, "b": ["c": "d", "e": [1, 2]]]
        let other: JSONObject = ["b": ["e": [1, 2], "c": "d"], "a": 1]
        #expect(one == other)
        #expect(one.hashValue == other.hashValue)
        #expect(Set([JSONValue.object(one), .object(other)]).count == 1)
        #expect(one != ["a": 1])
        #expect(one != ["a": 2, "b": ["c": "d", "e": [1, 2]]])
        #expect(one != ["a": 1, "x": ["c": "d", "e": [1, 2]]])
    }

    /// Large objects are compared sorted by key, not member by member through lookups.
    @Test func largeObjectsAreEqualWhateverTheOrderAndUnequalByOneValue() {
        let keys = (0..<2_000).map { "key\($0)" }
        let forwards = JSONObject(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.string($0)) }))
        // The same members in the opposite order (a dictionary is written out sorted).
        var backwards = JSONObject(uniqueMembers: forwards.members.reversed())
        #expect(backwards.keys == forwards.keys.reversed())
        #expect(forwards == backwards)
        #expect(forwards.hashValue == backwards.hashValue)
        backwards["key1000"] = "changed"
        #expect(forwards != backwards)
        backwards["key1000"] = nil
        backwards["key1000x"] = "key1000"
        #expect(forwards != backwards)
    }

    @Test func writtenWithKeysSortedWhateverTheOrder() {
        let object: JSONValue = .object(["z": 1, "a": ["y": true, "b": .null]])
        #expect(object.jsonText == #"{"a":{"b":null,"y":true},"z":1}"#)
        #expect(JSONValue.object(JSONObject(["b": 1, "a": 2])).jsonText == #"{"a":2,"b":1}"#)
    }

    @Test func sortedMembersAreInKeyOrderWhetherOrNotTheyWereAlready() {
        #expect(JSONObject().sortedMembers.isEmpty)
        #expect((["a": 1] as JSONObject).sortedMembers.map(\.key) == ["a"])
        #expect((["a": 1, "b": 2, "c": 3] as JSONObject).sortedMembers.map(\.key) == ["a", "b", "c"])
        #expect((["a": 1, "c": 2, "b": 3] as JSONObject).sortedMembers.map(\.key) == ["a", "b", "c"])
        #expect((["c": 1, "b": 2, "a": 3] as JSONObject).sortedMembers.map(\.value) == [3, 2, 1])
    }

    @Test func nestedObjectsParseIntoTheirOwnMembers() throws {
        // Each object's members are popped from one stack: an inner object must take only its own.
        let parsed = try parse(#"{"a":{"b":{"c":1,"d":2},"e":[{"f":3},{"g":4,"h":5}]},"i":6}"#)
        guard case .object(let top) = parsed.value else {
            Issue.record("not an object")
            return
        }
        #expect(top.keys == ["a", "i"])
        #expect(top["a"]?["b"] == ["c": 1, "d": 2])
        #expect(top["a"]?["e"] == [["f": 3], ["g": 4, "h": 5]])
        #expect(top["i"] == 6)
        // Objects that start with the stack empty (a list's first member, a top-level array's
        // elements) each keep only their own members.
        let list = try parse(#"{"list":[{"a":1,"b":2},{"c":3}],"n":2}"#).value
        #expect(list == ["list": [["a": 1, "b": 2], ["c": 3]], "n": 2])
        let array = try parse(#"[{"a":1},{"b":2,"c":3},{}]"#).value
        #expect(array == [["a": 1], ["b": 2, "c": 3], [:]])
    }

    /// The parser's member stack grows with the largest object; no object may keep a buffer the
    /// size of the stack's (a 1 MiB task of one large object and many small ones would hold the
    /// stack's capacity once for every small one).
    @Test func parsedObjectsHoldBuffersOfTheirOwnSize() throws {
        let large = (0..<1000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        for text in [#"[{\#(large)},{},{"a":1}]"#, #"{"x":[{\#(large)},{"a":1},{}]}"#, #"{"x":{\#(large)},"y":{}}"#] {
            var objects: [JSONObject] = []
            func collect(_ value: JSONValue) {
                switch value {
                case .object(let object):
                    objects.append(object)
                    object.members.forEach { collect($0.value) }
                case .array(let elements): elements.forEach(collect)
                default: break
                }
            }
            collect(try parse(text).value)
            #expect(objects.count == 4 || objects.count == 3)
            for object in objects where object.count < 1000 {
                #expect(object.members.capacity <= 16, "an object of \(object.count) members holds \(object.members.capacity)")
            }
        }
    }

    @Test func parsedMembersKeepTheDocumentsOrder() throws {
        guard case .object(let object) = try parse(#"{"z":1,"a":{"q":2,"b":3},"m":[]}"#).value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["z", "a", "m"])
        #expect(object["a"]?["q"] == 2)
    }

    /// Objects of up to sixteen members are checked pair by pair, larger ones through a set:
    /// either way the first of a key given twice is kept and the document says it had one.
    @Test(arguments: [2, 16, 17, 400])
    func aKeyGivenTwiceIsFoundInSmallAndLargeObjects(members: Int) throws {
        let keys = (0..<members).map { "key\($0)" }
        let distinct = "{" + keys.enumerated().map { #""\#($1)":\#($0)"# }.joined(separator: ",") + "}"
        let unique = try parse(distinct)
        #expect(!unique.hasDuplicateKeys)
        #expect(unique.value.jsonText.count == distinct.count)
        let twice = "{" + keys.enumerated().map { #""\#($1)":\#($0)"# }.joined(separator: ",")
            + #","\#(keys[members / 2])":"late"}"#
        let parsed = try parse(twice)
        #expect(parsed.hasDuplicateKeys)
        guard case .object(let object) = parsed.value else {
            Issue.record("not an object")
            return
        }
        #expect(object.count == members)
        #expect(object[keys[members / 2]] == .integer(Int64(members / 2)))
        #expect(object.keys == keys)
    }
}
