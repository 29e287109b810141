internal import COpenSSL
import struct Foundation.Data

/// SHA-256 through OpenSSL's one-shot `EVP_Digest`.
///
/// SigV4 hashes the payload and the canonical request; the distro's OpenSSL is used so that
/// security fixes and FIPS providers come from the operating system.
public enum SHA256Digest {
    /// Length of a SHA-256 digest in bytes.
    public static let byteCount = 32

    /// Hex of the SHA-256 of zero bytes: the payload hash of every body-less request.
    public static let emptyHexHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The digest of `buffer`. Returns 32 zero bytes only if OpenSSL itself fails, which makes
    /// any signature built on it wrong (AWS then refuses the request) instead of crashing.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { output, initialized in
            if let base = output.baseAddress, digest(buffer, into: base) {
                initialized = byteCount
            } else {
                output.initialize(repeating: 0)
                initialized = byteCount
            }
        }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of `data` (a request body as the HTTP layer holds it).
    public static func hash(_ data: Data) -> [UInt8] {
        data.withUnsafeBytes { hash($0) }
    }

    /// The digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        var string = string
        return string.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of any byte sequence; contiguous storage is hashed in place, anything else copied once.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return hash(Array(bytes))
    }

    /// Lowercase hex of the digest, as SigV4 writes hashes.
    public static func hexHash(_ buffer: UnsafeRawBufferPointer) -> String { Hex.encode(hash(buffer)) }
    public static func hexHash(_ bytes: [UInt8]) -> String { Hex.encode(hash(bytes)) }
    public static func hexHash(_ data: Data) -> String { Hex.encode(hash(data)) }
    public static func hexHash(_ string: String) -> String { Hex.encode(hash(string)) }
    public static func hexHash(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(hash(bytes)) }

    /// Writes the 32-byte digest of `buffer` to `output`; false if OpenSSL failed.
    static func digest(_ buffer: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Bool {
        var size: UInt32 = 0
        return EVP_Digest(buffer.baseAddress, buffer.count, output, &size, OpenSSLHandles.sha256, nil) == 1
            && size == UInt32(byteCount)
    }
}
