import struct FoundationEssentials.Data
/// The last line of the canonical request (and the `x-amz-content-sha256` value), held
/// without a heap allocation when it is a computed digest.
struct PayloadHash {
    /// 64 lowercase hex digits when `text` is nil.
    private var hex: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var text: String?

    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    init(_ payload: SigV4Request.Payload) throws(SigV4Error) {
        var computed = true
        switch payload {
        case .bytes(let bytes):
            if bytes.isEmpty { text = SHA256Digest.emptyHexHash } else { computed = bytes.withUnsafeBytes { digest($0) } }
        case .data(let data):
            if data.isEmpty { text = SHA256Digest.emptyHexHash } else { computed = data.withUnsafeBytes { digest($0) } }
        case .precomputedHash(let hash):
            text = hash
        case .unsigned:
            text = Self.unsignedPayload
        }
        guard computed else { throw .crypto("SHA-256 of the payload") }
    }

    /// False if OpenSSL failed.
    private mutating func digest(_ body: UnsafeRawBufferPointer) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256Digest.byteCount) { digest in
            digest.initialize(repeating: 0)
            guard let base = digest.baseAddress, SHA256Digest.digest(body, into: base) else { return false }
            withUnsafeMutableBytes(of: &hex) { hex in
                hex.withMemoryRebound(to: UInt8.self) { hex in
                    var writer = ByteWriter(hex)
                    writer.writeHex(UnsafeRawBufferPointer(digest))
                }
            }
            return true
        }
    }

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if var text {
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        return withUnsafeBytes(of: hex) { body($0) }
    }

    var string: String {
        text ?? withBytes { String(decoding: $0, as: UTF8.self) }
    }
}
