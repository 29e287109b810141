/// A JSON object's key compared as RFC 8259 compares keys: code unit by code unit.
///
/// Swift's `==` on strings is canonical equivalence: `"\u{E9}"` and `"e\u{301}"`, or the
/// Ångström sign and `Å`, are one string to it. In JSON they are two keys, two members of one
/// object, and a secret's `#key` must never read one for the other.
public struct JSONKey: Hashable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (lhs: JSONKey, rhs: JSONKey) -> Bool { same(lhs.text, rhs.text) }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether `a` and `b` are one key: the same bytes. (Lengths and `==` first: they settle
    /// nearly every comparison at once, and only canonically equal strings can be the same bytes.)
    @inlinable
    public static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a == b && a.utf8.elementsEqual(b.utf8)
    }

    /// The order keys are written in: Swift's order of strings, and of two canonically equal
    /// keys the one whose bytes come first (so that the order is total, and stable from run to
    /// run).
    @inlinable
    public static func precedes(_ a: String, _ b: String) -> Bool {
        if a < b { return true }
        if b < a { return false }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
