import JSON

/// The value a succeeded `getSecretValue` result holds, as `get`, `exec` and the credentials
/// socket hand it on (docs/INTERFACE.md section 10): `value` (a `#key` field) or `secretString`
/// as UTF-8, else `secretBinary` decoded from base64.
public enum ResultValue {
    /// Why a succeeded result gives no value bytes. Never holds a value.
    public struct Missing: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The value bytes of a result's `result` member; `sealed` says the result was sealed
    /// instead (there is no `result` to read then).
    public static func bytes(of result: JSONValue?, sealed: Bool) throws(Missing) -> [UInt8] {
        guard let result, case .object(let object) = result else {
            throw Missing(message: sealed ? "the result is sealed" : "the result holds no value")
        }
        if let value = object["value"] {
            // A `#key` field: never the whole secretString in its place.
            guard let text = value.stringValue else { throw Missing(message: "the result's value is not a string") }
            return Array(text.utf8)
        }
        if let value = object["secretString"]?.stringValue {
            return Array(value.utf8)
        }
        if let binary = object["secretBinary"]?.stringValue {
            guard let bytes = Base64.decode(binary) else {
                throw Missing(message: "the result's secretBinary is not base64")
            }
            return bytes
        }
        throw Missing(message: "the result holds no secretString, secretBinary or value")
    }
}
