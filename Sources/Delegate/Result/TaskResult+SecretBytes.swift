import Foundation

extension TaskResult {
    /// Why a succeeded `getSecretValue` result gives no value bytes. Never holds a value.
    struct NoSecretBytes: Error, Sendable, Equatable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The value a succeeded `getSecretValue` result holds, as `get`, `exec` and the credentials
    /// socket hand it on: `value` (a `#key` field) or `secretString` as UTF-8, else
    /// `secretBinary` decoded from base64.
    func secretBytes() throws(NoSecretBytes) -> Data {
        guard let object = result else {
            throw NoSecretBytes(message: sealed != nil ? "the result is sealed" : "the result holds no value")
        }
        if let value = object["value"]?.stringValue ?? object["secretString"]?.stringValue {
            return Data(value.utf8)
        }
        if let binary = object["secretBinary"]?.stringValue {
            guard let bytes = Data(base64Encoded: binary) else {
                throw NoSecretBytes(message: "the result's secretBinary is not base64")
            }
            return bytes
        }
        throw NoSecretBytes(message: "the result holds no secretString, secretBinary or value")
    }
}
