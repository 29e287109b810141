/// HMAC-SHA256 (RFC 2104) over OpenSSL's SHA-256 (``HMACSHA256Key``; OpenSSL's provider in
/// FIPS mode).
///
/// SigV4 derives its signing key with a chain of four HMACs and signs with a fifth.
public enum HMACSHA256 {
    /// Length of an HMAC-SHA256 tag in bytes.
    public static let byteCount = 32

    /// The HMAC-SHA256 of `message` under `key`.
    /// - Throws: ``SigV4Error/Code/cryptoFailure`` if OpenSSL fails.
    public static func authenticate(key: [UInt8], message: [UInt8]) throws(SigV4Error) -> [UInt8] {
        try authenticate(key: key, message: message, throughProvider: FIPSMode.isEnabled)
    }

    /// The same, through OpenSSL's provider (`EVP_Q_mac`) or not, whatever the FIPS mode (tests
    /// check both).
    static func authenticate(key: [UInt8], message: [UInt8], throughProvider: Bool) throws(SigV4Error) -> [UInt8] {
        var succeeded = false
        let tag = [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            output.initialize(repeating: 0)
            initialized = byteCount
            // A key used once: its keyed states are wiped as soon as the tag is out.
            var keyed = key.withUnsafeBytes { HMACSHA256Key(key: $0, throughProvider: throughProvider) }
            defer { keyed.wipe() }
            succeeded = message.withUnsafeBytes { keyed.authenticate($0, into: UnsafeMutableRawBufferPointer(output)) }
        }
        guard succeeded else { throw .crypto("HMAC-SHA256") }
        return tag
    }
}
