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
    private enum Keyed: Sendable {
        /// The SHA-256 states after `K ^ ipad` and after `K ^ opad`.
        case states(inner: SHA256State, outer: SHA256State)
        /// The key as given (one zero byte for an empty key), for the provider.
        case provider(key: [UInt8])
        /// Wiped, or OpenSSL failed while absorbing the key: every tag fails.
        case unusable
    }

    private var keyed: Keyed

    private static let blockSize = 64

    init(key: UnsafeRawBufferPointer, throughProvider: Bool = FIPSMode.isEnabled) {
        if throughProvider {
            // An empty key is the same HMAC key as a single zero byte (keys are zero-padded to
            // the block size); OpenSSL would read a NULL key as "no key".
            keyed = .provider(key: key.isEmpty ? [0] : Array(key))
            return
        }
        keyed = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.blockSize) { block -> Keyed in
            block.initialize(repeating: 0)
            defer { OPENSSL_cleanse(block.baseAddress, block.count) }
            if key.count > Self.blockSize {
                // A key longer than the block is replaced by its digest.
                var hash = SHA256State()
                hash.update(key)
                guard hash.finish(into: block.baseAddress!) else { return .unusable }
            } else if let base = key.baseAddress {
                UnsafeMutableRawBufferPointer(block).copyMemory(
                    from: UnsafeRawBufferPointer(start: base, count: key.count))
            }
            var inner = SHA256State()
            var outer = SHA256State()
            for index in block.indices { block[index] ^= 0x36 }
            inner.update(UnsafeRawBufferPointer(block))
            for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
            outer.update(UnsafeRawBufferPointer(block))
            return .states(inner: inner, outer: outer)
        }
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard output.count >= HMACSHA256.byteCount, let tag = output.baseAddress else { return false }
        let tagBytes = tag.assumingMemoryBound(to: UInt8.self)
        switch keyed {
        case .states(var inner, var outer):
            // Copies of the states: each is wiped by its `finish`.
            inner.update(message)
            guard inner.finish(into: tagBytes) else { return false }
            outer.update(UnsafeRawBufferPointer(start: tag, count: HMACSHA256.byteCount))
            return outer.finish(into: tagBytes)
        case .provider(let key):
            var length = 0
            let written = key.withUnsafeBytes { key in
                EVP_Q_mac(
                    nil, "HMAC", nil, "SHA256", nil, key.baseAddress, key.count,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    tagBytes, output.count, &length)
            }
            return written != nil && length == HMACSHA256.byteCount
        case .unusable:
            return false
        }
    }

    /// Clears the keyed states (or, in FIPS mode, the kept key) of a key that is done with (a step
    /// of the signing key's derivation); every tag then fails.
    mutating func wipe() {
        switch keyed {
        case .states(var inner, var outer):
            inner.wipe()
            outer.wipe()
            // Stored over the states in place: the same case, so the same bytes.
            keyed = .states(inner: inner, outer: outer)
        case .provider(var key):
            keyed = .unusable  // the only other reference: the cleansing below writes in place
            key.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        case .unusable:
            break
        }
    }
}
