extension JSONParser {
    /// The members of the JSON object in `bytes`, each with where its value is written.
    public struct ObjectMembers: Sendable {
        public struct Member: Sendable {
            public var value: JSONValue
            /// Byte offsets into `bytes`, without the white space around the value.
            public var textRange: Range<Int>
        }

        public var members: [JSONKey: Member]
    }
}
