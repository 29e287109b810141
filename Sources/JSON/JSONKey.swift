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

    /// Whether `a` and `b` are one key: the same bytes. Lengths first, which settle most
    /// comparisons at once; then the bytes, eight at a time, where both strings hold them in one
    /// block (native strings do, so a task's keys always); else `==` and the bytes one by one
    /// (only canonically equal strings can be the same bytes). Compared as `UTF8View`s element by
    /// element, the decoder's lookups cost a task about 15,000 instructions, 3% of it.
    @inlinable
    public static func same(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        let inBlocks = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in sameBytes(x, y) }
        }
        if let inBlocks, let equal = inBlocks { return equal }
        return a == b && a.utf8.elementsEqual(b.utf8)
    }

    /// Two blocks of one length compared eight bytes at a time (a generic `elementsEqual` took
    /// over 200 instructions for a key of a dozen bytes).
    @inlinable
    static func sameBytes(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = x.count
        guard count == y.count else { return false }
        guard count > 0, let left = x.baseAddress, let right = y.baseAddress else { return true }
        let (l, r) = (UnsafeRawPointer(left), UnsafeRawPointer(right))
        var offset = 0
        while offset + 8 <= count {
            if l.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != r.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if left[offset] != right[offset] { return false }
            offset += 1
        }
        return true
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
