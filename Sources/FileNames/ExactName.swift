import Glibc

/// A file name compared as a directory compares names: byte by byte. Swift's `==` on strings is
/// canonical equivalence, for which a precomposed `é` and `e` with a combining acute are one
/// string, where a directory holds them as two files.
public struct ExactName: Hashable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (lhs: ExactName, rhs: ExactName) -> Bool {
        let (a, b) = (lhs.text.utf8, rhs.text.utf8)
        guard a.count == b.count else { return false }
        let inBlocks = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in
                x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
            }
        }
        if let inBlocks, let same = inBlocks { return same }
        return a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
