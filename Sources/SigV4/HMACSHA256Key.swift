internal import COpenSSL

/// An HMAC-SHA256 key set up once, for the many signatures made with one cached SigV4 key.
///
/// HMAC is `H((K ^ opad) || H((K ^ ipad) || message))` with `K` zero-padded to the 64-byte
/// block (RFC 2104). The two states after the padded key are computed here and copied per
/// message, so a tag costs the message's blocks and one more, with no allocation.
///
/// The states are key material: whoever holds them can make tags. The padded key is wiped once
/// the states are made.
struct HMACSHA256Key: Sendable {
    private let inner: SHA256State
    private let outer: SHA256State
    /// False if OpenSSL failed while absorbing the key; every tag then fails.
    private let valid: Bool

    private static let blockSize = 64

    init(key: UnsafeRawBufferPointer) {
        var inner = SHA256State()
        var outer = SHA256State()
        var valid = true
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.blockSize) { block in
            block.initialize(repeating: 0)
            defer { OPENSSL_cleanse(block.baseAddress, block.count) }
            if key.count > Self.blockSize {
                // A key longer than the block is replaced by its digest.
                var hash = SHA256State()
                hash.update(key)
                valid = hash.finish(into: block.baseAddress!)
            } else if let base = key.baseAddress {
                UnsafeMutableRawBufferPointer(block).copyMemory(from: UnsafeRawBufferPointer(start: base, count: key.count))
            }
            for index in block.indices { block[index] ^= 0x36 }
            inner.update(UnsafeRawBufferPointer(block))
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            outer.update(UnsafeRawBufferPointer(block))
        }
        self.inner = inner
        self.outer = outer
        self.valid = valid
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard valid, output.count >= HMACSHA256.byteCount, let tag = output.baseAddress else { return false }
        let tagBytes = tag.assumingMemoryBound(to: UInt8.self)
        var inner = self.inner
        inner.update(message)
        guard inner.finish(into: tagBytes) else { return false }
        var outer = self.outer
        outer.update(UnsafeRawBufferPointer(start: tag, count: HMACSHA256.byteCount))
        return outer.finish(into: tagBytes)
    }
}
