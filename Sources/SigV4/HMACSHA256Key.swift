internal import COpenSSL

/// An HMAC-SHA256 key set up once, for the many signatures made with one cached SigV4 key.
///
/// HMAC is `H((K ^ opad) || H((K ^ ipad) || message))` with `K` zero-padded to the 64-byte
/// block (RFC 2104). The two states after the padded key are computed here and copied per
/// message, so a tag costs the message's blocks and one more, with no allocation. In FIPS mode
/// (``FIPSMode``) the key is kept instead and each tag is OpenSSL's provider's (`EVP_Q_mac`).
///
/// The states are key material: whoever holds them can make tags. The padded key is wiped once
/// the states are made, each copied state once its tag is out, and a key used once by
/// ``wipe()``.
struct HMACSHA256Key: Sendable {
    private var inner = SHA256State()
    private var outer = SHA256State()
    /// False if OpenSSL failed while absorbing the key; every tag then fails.
    private var valid = true
    /// The key as given (one zero byte for an empty key), when tags go through the provider.
    private var providerKey: [UInt8]?

    private static let blockSize = 64

    init(key: UnsafeRawBufferPointer, throughProvider: Bool = FIPSMode.isEnabled) {
        if throughProvider {
            // An empty key is the same HMAC key as a single zero byte (keys are zero-padded to
            // the block size); OpenSSL would read a NULL key as "no key".
            providerKey = key.isEmpty ? [0] : Array(key)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.blockSize) { block in
            block.initialize(repeating: 0)
            defer { OPENSSL_cleanse(block.baseAddress, block.count) }
            if key.count > Self.blockSize {
                // A key longer than the block is replaced by its digest.
                var hash = SHA256State()
                hash.update(key)
                valid = hash.finish(into: block.baseAddress!)
            } else if let base = key.baseAddress {
                UnsafeMutableRawBufferPointer(block).copyMemory(
                    from: UnsafeRawBufferPointer(start: base, count: key.count))
            }
            for index in block.indices { block[index] ^= 0x36 }
            inner.update(UnsafeRawBufferPointer(block))
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            outer.update(UnsafeRawBufferPointer(block))
        }
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard valid, output.count >= HMACSHA256.byteCount, let tag = output.baseAddress else { return false }
        let tagBytes = tag.assumingMemoryBound(to: UInt8.self)
        if let providerKey {
            var length = 0
            let written = providerKey.withUnsafeBytes { key in
                EVP_Q_mac(
                    nil, "HMAC", nil, "SHA256", nil, key.baseAddress, key.count,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    tagBytes, output.count, &length)
            }
            return written != nil && length == HMACSHA256.byteCount
        }
        var inner = self.inner
        inner.update(message)
        guard inner.finish(into: tagBytes) else { return false }
        var outer = self.outer
        outer.update(UnsafeRawBufferPointer(start: tag, count: HMACSHA256.byteCount))
        return outer.finish(into: tagBytes)
    }

    /// Clears the keyed states (or, in FIPS mode, the kept key) of a key that is done with (a step
    /// of the signing key's derivation).
    mutating func wipe() {
        inner.wipe()
        outer.wipe()
        if var key = providerKey {
            providerKey = nil  // the only other reference: the cleansing below writes in place
            key.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        }
        valid = false
    }
}
