/// A failure to seal or open.
///
/// One struct so callers switch on `code` without parsing text. Messages name the step or the
/// OpenSSL call that failed and never hold key material, plaintext or ciphertext.
public struct HPKEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code, e.g. `"AuthenticationFailed"`.
        public let rawValue: String

        /// A key, `enc` or ciphertext has the wrong length.
        public static let invalidLength = Code(rawValue: "InvalidLength")
        /// A public key (the recipient's, or `enc`) is unusable: Diffie-Hellman with it gives the
        /// all-zero value RFC 9180 section 7.1.4 says to refuse (a small-order point).
        public static let invalidPublicKey = Code(rawValue: "InvalidPublicKey")
        /// The ciphertext does not authenticate under this key, `info` and `aad`.
        public static let authenticationFailed = Code(rawValue: "AuthenticationFailed")
        /// An OpenSSL call failed for another reason (no memory, an algorithm the loaded
        /// providers lack, such as X25519 or ChaCha20-Poly1305 under a FIPS-only provider).
        public static let openSSL = Code(rawValue: "OpenSSL")

        public var description: String { rawValue }
    }

    public var code: Code
    /// A human-readable explanation (never key material or data).
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
