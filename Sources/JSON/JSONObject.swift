/// A JSON object: its members in the order they were read or added, each key once.
///
/// Task objects and AWS answers have a handful of members, read once or twice each. Held as a
/// dictionary, every member cost a hash when the object was built and every field read another
/// (a fifth of a task's decoding); a short array compared key by key costs less for both. Keys
/// are compared byte for byte, as RFC 8259 compares them (``JSONKey``): `"\u{E9}"` and
/// `"e\u{301}"` are two keys, though Swift's `==` and a dictionary take them for one.
///
/// Two objects are equal when they have the same keys with equal values, in whatever order.
/// Reading a key is linear in the object's size, so code that builds a large object (thousands
/// of members) does it from a dictionary (`init(_:)`).
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    /// One member. A struct rather than a tuple: arrays of tuples are copied and destroyed
    /// through the runtime's generic tuple witnesses, member by member, for every object.
    public struct Member: Sendable {
        public let key: String
        public internal(set) var value: JSONValue

        init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, each key once, in order.
    public private(set) var members: [Member]

    public init() { members = [] }

    public init(minimumCapacity: Int) {
        members = []
        members.reserveCapacity(minimumCapacity)
    }

    /// The members of `dictionary`, sorted by key (a dictionary's own order changes from run to
    /// run).
    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.sorted { $0.key < $1.key }.map { Member(key: $0.key, value: $0.value) }
    }

    /// Members whose keys the caller knows to be distinct (the parser, which checks).
    init(uniqueMembers: [Member]) { members = uniqueMembers }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// The members sorted by key, as they are written. Members already in key order (a short
    /// object often is) are returned as they are, without a sorted copy.
    public var sortedMembers: [Member] {
        var index = members.startIndex + 1
        while index < members.endIndex {
            if JSONKey.precedes(members[index].key, members[index - 1].key) {
                return members.sorted { JSONKey.precedes($0.key, $1.key) }
            }
            index += 1
        }
        return members
    }

    /// The value of `key`, nil if the object has no such member. Setting nil removes the member;
    /// setting a value replaces the member's value in place or adds the member at the end.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(of: key) else { return nil }
            return members[index].value
        }
        set {
            if let index = index(of: key) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Removes the member of `key`, returning its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = index(of: key) else { return nil }
        return members.remove(at: index).value
    }

    /// The object with each value transformed, keys and order kept.
    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        JSONObject(uniqueMembers: try members.map { Member(key: $0.key, value: try transform($0.value)) })
    }

    /// The members `isIncluded` keeps, in order.
    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> JSONObject {
        JSONObject(uniqueMembers: try members.filter { try isIncluded((key: $0.key, value: $0.value)) })
    }

    /// The members as a dictionary (for `Codable`; of two keys a dictionary takes for one, the
    /// first is kept).
    public var dictionary: [String: JSONValue] {
        Dictionary(members.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Lengths first: a task's decoder asks a few dozen questions of small objects, and most
    /// members it passes over have a key of another length (a native string knows its length;
    /// `==` on two different strings goes through the runtime's comparison).
    private func index(of key: String) -> Int? {
        let length = key.utf8.count
        return members.firstIndex { $0.key.utf8.count == length && JSONKey.same($0.key, key) }
    }
}

extension JSONObject: Sequence {
    /// The members as `(key, value)` pairs, in order.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>

        public mutating func next() -> Element? {
            base.next().map { (key: $0.key, value: $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }
    public var underestimatedCount: Int { members.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Of a key given twice the last value counts, in the first one's place.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(literal: elements)
    }

    /// The members of a literal (`JSONObject`'s or `JSONValue`'s), by the rule above.
    init(literal elements: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        // Key by key in small objects; large ones sorted by key (each key is there once, so equal
        // objects sort alike), which keeps a comparison of two large objects from going quadratic.
        if lhs.count <= 16 { return lhs.members.allSatisfy { member in rhs[member.key] == member.value } }
        return zip(lhs.sortedMembers, rhs.sortedMembers).allSatisfy {
            JSONKey.same($0.key, $1.key) && $0.value == $1.value
        }
    }

    /// Independent of the members' order, as equality is.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            sum &+= memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(sum)
    }
}
