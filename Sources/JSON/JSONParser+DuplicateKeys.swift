extension JSONParser {
    /// A step from a document's root to a value inside it: an object's key or an array's index.
    public enum PathComponent: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    /// A key given twice in one object: the path of that object and the key.
    public struct DuplicateKey: Sendable, Hashable {
        public var path: [PathComponent]
        public var key: String

        public init(path: [PathComponent], key: String) {
            self.path = path
            self.key = key
        }
    }

    /// The keys given twice in a document (``duplicateKeys(in:shallowDepth:)``).
    public struct DuplicateKeys: Sendable {
        /// The first in document order, at any depth.
        public var first: DuplicateKey?
        /// Every one whose path has at most `shallowDepth` components.
        public var shallow: Set<DuplicateKey>
    }
}
