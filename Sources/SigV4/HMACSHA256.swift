/// HMAC-SHA256 through OpenSSL's `EVP_MAC`.
///
/// SigV4 derives its signing key with a chain of four HMACs and signs with a fifth.
public enum HMACSHA256 {
    /// Length of an HMAC-SHA256 tag in bytes.
    public static let byteCount = 32

    /// The HMAC-SHA256 of `message` under `key`. Returns 32 zero bytes only if OpenSSL itself
    /// fails (the resulting signature is then refused by AWS; nothing crashes).
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { key in
            message.withUnsafeBytes { message in authenticate(key: key, message: message) }
        }
    }

    static func authenticate(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            if !HMACSHA256Key.authenticate(key: key, message: message, into: UnsafeMutableRawBufferPointer(output)) {
                output.initialize(repeating: 0)
            }
            initialized = byteCount
        }
    }
}
