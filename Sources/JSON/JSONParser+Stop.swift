extension JSONParser {
    /// Where reading stopped in a document that is not one JSON value, for a refusal that says
    /// where to look without quoting what may be a secret.
    public struct Stop: Sendable, Equatable, CustomStringConvertible {
        /// Bytes before the one reading stopped at (the document's length if it ended first).
        public var offset: Int
        /// 1-based; lines end at LF.
        public var line: Int
        /// 1-based, in bytes.
        public var column: Int
        public var reason: Reason

        /// What stopped the reader, where the parser knows.
        public enum Reason: Sendable, Equatable {
            /// Nothing but white space (and a byte order mark).
            case empty
            /// The document ended before its value did.
            case cutShort
            /// A number past a `Double`'s range (the position is its first byte).
            case numberOutOfRange
            /// A `\u` escape of half a surrogate pair (as Python's `surrogateescape` writes).
            case loneSurrogate
            /// The 513th nested array or object (the position is its bracket).
            case tooDeep
            /// Anything else: a byte JSON's grammar does not allow there.
            case syntax
        }

        public var description: String {
            let place = "line \(line), column \(column) (after \(offset) bytes)"
            return switch reason {
            case .empty: "it holds no JSON value (nothing but white space)"
            case .cutShort: "it ends after \(offset) bytes, before its JSON does (cut short?)"
            case .numberOutOfRange: "the number at \(place) is out of a double's range"
            case .loneSurrogate: "the \\u escape ending at \(place) is half a surrogate pair, no character"
            case .tooDeep: "values nest over \(JSONParser.maximumDepth) deep at \(place)"
            case .syntax: "it is not JSON from \(place) on"
            }
        }
    }
}
