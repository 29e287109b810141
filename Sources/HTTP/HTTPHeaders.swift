/// An ordered list of header fields with case-insensitive lookup.
///
/// Order is kept because signing and tests care about what went on the wire; lookups fold case
/// because HTTP field names are case-insensitive.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value for `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        fields.first { Self.namesEqual($0.name, name) }?.value
    }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Makes room for `count` fields in all, so that adding the fields a request still needs
    /// does not grow the storage one field at a time.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Replaces every field named `name` (case-insensitively) with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
        fields.append(Field(name: name, value: value))
    }

    /// Whether two field names are the same, ignoring ASCII case (field names are ASCII tokens,
    /// RFC 9110 section 5.1), without lowercased copies of either.
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        // Lengths first: most names compared differ in length, and a native string knows its own.
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) { asciiLowercase($0) == asciiLowercase($1) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }

    /// All of them: `map` and `Array(_:)` then allocate once (the default, zero, made them grow
    /// the result field by field, four new buffers for a signed request's headers).
    public var underestimatedCount: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }
}
