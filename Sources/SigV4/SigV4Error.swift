/// A signature that could not be made.
///
/// The only cause is the cryptographic library failing (out of memory, a provider that refuses
/// SHA-256 or HMAC, say). A signature or idempotency token built on a failed digest would be
/// wrong in ways AWS may not even notice (two writes with the same token), so the failure is
/// reported instead of papered over. Messages name the primitive, never key material.
public struct SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case cryptoFailure = "CryptoFailure"
        }
        private let value: Value

        /// OpenSSL did not compute a digest or HMAC.
        public static let cryptoFailure = Code(value: .cryptoFailure)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public var description: String { "\(code): \(message)" }

    static func crypto(_ primitive: String) -> SigV4Error {
        SigV4Error(code: .cryptoFailure, message: "OpenSSL failed to compute \(primitive)")
    }
}
