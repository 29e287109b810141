extension JSONValue {
    /// A member that is not of the type it was read as: the value itself, or the first element of
    /// an array that is not (with its index).
    public enum Mismatch: Error, Sendable, Equatable {
        case value(JSONValue)
        case element(index: Int, JSONValue)
    }

    /// `member` read as a string: absent and `null` are nil, a string is itself, anything else
    /// is a ``Mismatch``. The one rule for tasks, peeks and AWS answers alike.
    public static func optionalString(_ member: JSONValue?) throws(Mismatch) -> String? {
        switch member {
        case nil, .null?: return nil
        case .string(let string)?: return string
        case let other?: throw .value(other)
        }
    }

    /// `member` read as an array of strings: absent and `null` are nil; an array holding anything
    /// but strings, or anything but an array, is a ``Mismatch``.
    public static func optionalStrings(_ member: JSONValue?) throws(Mismatch) -> [String]? {
        switch member {
        case nil, .null?: return nil
        case .array(let elements)?:
            var strings: [String] = []
            strings.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .string(let string) = element else { throw .element(index: index, element) }
                strings.append(string)
            }
            return strings
        case let other?: throw .value(other)
        }
    }
}
