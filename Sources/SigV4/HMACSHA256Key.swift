internal import COpenSSL

/// An HMAC-SHA256 context already keyed, so that signing with a cached SigV4 key costs one
/// context duplication instead of a key setup per request.
///
/// `@unchecked Sendable`: the context is written only in `init`; afterwards it is only read,
/// as the `const` source of `EVP_MAC_CTX_dup`, which OpenSSL allows from several threads.
final class HMACSHA256Key: @unchecked Sendable {
    private let context: OpaquePointer

    /// Nil if OpenSSL cannot set up HMAC-SHA256.
    init?(key: UnsafeRawBufferPointer) {
        guard let template = OpenSSLHandles.hmacTemplate, let context = EVP_MAC_CTX_dup(template) else {
            return nil
        }
        // An empty key is the same HMAC key as a single zero byte (keys are zero-padded to the
        // block size); OpenSSL would read a NULL key as "keep the current key" instead.
        let zero: [UInt8] = [0]
        let status = zero.withUnsafeBytes { zero in
            let key = key.isEmpty ? zero : key
            return EVP_MAC_init(context, key.baseAddress, key.count, nil)
        }
        guard status == 1 else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        self.context = context
    }

    deinit {
        EVP_MAC_CTX_free(context)
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard output.count >= HMACSHA256.byteCount, let context = EVP_MAC_CTX_dup(context) else { return false }
        defer { EVP_MAC_CTX_free(context) }
        var length = 0
        guard EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1,
            EVP_MAC_final(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, output.count) == 1
        else { return false }
        return length == HMACSHA256.byteCount
    }

    /// The tag of `message` as a new array (32 zero bytes if OpenSSL failed).
    func authenticate(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: HMACSHA256.byteCount) { output, initialized in
            if !authenticate(message, into: UnsafeMutableRawBufferPointer(output)) {
                output.initialize(repeating: 0)
            }
            initialized = HMACSHA256.byteCount
        }
    }
}
