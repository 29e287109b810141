internal import COpenSSL
import struct FoundationEssentials.Data

/// SHA-256 through OpenSSL's SHA-256 functions (``SHA256State``), or through its provider
/// (`EVP_Digest`) in FIPS mode (``FIPSMode``).
///
/// SigV4 hashes the payload and the canonical request; the distribution's libcrypto does the
/// hashing, so its fixes (and a FIPS provider) come with the operating system.
public enum SHA256Digest {
    /// Length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// Hex of the SHA-256 of zero bytes: the payload hash of every body-less request.
    public static let emptyHexHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The digest of `buffer`.
    /// - Throws: ``SigV4Error/Code/cryptoFailure`` if OpenSSL fails.
    public static func hash(_ buffer: UnsafeRawBufferPointer) throws(SigV4Error) -> [UInt8] {
        try hash(buffer, throughProvider: FIPSMode.isEnabled)
    }

    /// The digest of `buffer`, through OpenSSL's provider or not, whatever the FIPS mode (tests
    /// check both).
    static func hash(_ buffer: UnsafeRawBufferPointer, throughProvider: Bool) throws(SigV4Error) -> [UInt8] {
        var succeeded = false
        let digest = [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            output.initialize(repeating: 0)
            initialized = byteCount
            if let base = output.baseAddress {
                succeeded = Self.digest(buffer, into: base, throughProvider: throughProvider)
            }
        }
        guard succeeded else { throw .crypto("SHA-256") }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) throws(SigV4Error) -> [UInt8] {
        try bytes.withUnsafeBytes { buffer in Result { () throws(SigV4Error) in try hash(buffer) } }.get()
    }

    /// The digest of `data` (a request body as the HTTP layer holds it).
    public static func hash(_ data: Data) throws(SigV4Error) -> [UInt8] {
        try data.withUnsafeBytes { buffer in Result { () throws(SigV4Error) in try hash(buffer) } }.get()
    }

    /// The digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) throws(SigV4Error) -> [UInt8] {
        try hash(Array(string.utf8))
    }

    /// The digest of any byte sequence; contiguous storage is hashed in place, anything else copied once.
    public static func hash(_ bytes: some Sequence<UInt8>) throws(SigV4Error) -> [UInt8] {
        try hash(Array(bytes))
    }

    /// Lowercase hex of the digest, as SigV4 writes hashes.
    public static func hexHash(_ buffer: UnsafeRawBufferPointer) throws(SigV4Error) -> String {
        Hex.encode(try hash(buffer))
    }
    public static func hexHash(_ bytes: [UInt8]) throws(SigV4Error) -> String { Hex.encode(try hash(bytes)) }
    public static func hexHash(_ data: Data) throws(SigV4Error) -> String { Hex.encode(try hash(data)) }
    public static func hexHash(_ string: String) throws(SigV4Error) -> String { Hex.encode(try hash(string)) }
    public static func hexHash(_ bytes: some Sequence<UInt8>) throws(SigV4Error) -> String {
        Hex.encode(try hash(bytes))
    }

    /// Writes the 32-byte digest of `buffer` to `output`; false if OpenSSL failed.
    ///
    /// Outside FIPS mode the context lives on the stack. `EVP_Digest`, used in FIPS mode,
    /// allocates, initialises and wipes one per call, a third of the cost of hashing a small
    /// request.
    static func digest(
        _ buffer: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>,
        throughProvider: Bool = FIPSMode.isEnabled
    ) -> Bool {
        if throughProvider {
            var size: UInt32 = 0
            return EVP_Digest(buffer.baseAddress, buffer.count, output, &size, EVP_sha256(), nil) == 1
                && size == UInt32(byteCount)
        }
        var state = SHA256State()
        state.update(buffer)
        return state.finish(into: output)
    }
}
