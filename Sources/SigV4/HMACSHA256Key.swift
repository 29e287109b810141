internal import COpenSSL

/// An HMAC-SHA256 key set up once, for the many signatures made with one cached SigV4 key.
///
/// Re-initialising a used context with the same key costs about a third of duplicating a
/// keyed one, so finished contexts are kept in a small pool (`OpenSSLContextPool`).
///
/// `@unchecked Sendable`: `template` is written only in `init`, then only read as the `const`
/// source of `EVP_MAC_CTX_dup` (OpenSSL allows that from several threads).
final class HMACSHA256Key: @unchecked Sendable {
    private let template: OpaquePointer
    private let contexts: OpenSSLContextPool

    /// Nil if OpenSSL cannot set up HMAC-SHA256.
    init?(key: UnsafeRawBufferPointer) {
        guard let template = Self.keyedContext(key) else { return nil }
        self.template = template
        self.contexts = OpenSSLContextPool(
            limit: 4, make: { EVP_MAC_CTX_dup(template) }, free: { EVP_MAC_CTX_free($0) })
    }

    deinit {
        EVP_MAC_CTX_free(template)
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard output.count >= HMACSHA256.byteCount else { return false }
        return contexts.withContext { context in
            // A NULL key keeps the context's key and starts a new message.
            EVP_MAC_init(context, nil, 0, nil) == 1 && Self.finish(context, message, into: output)
        }
    }

    /// One-shot HMAC-SHA256 with a key used once.
    static func authenticate(
        key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard output.count >= HMACSHA256.byteCount, let context = keyedContext(key) else { return false }
        defer { EVP_MAC_CTX_free(context) }
        return finish(context, message, into: output)
    }

    /// A new context keyed with `key`, ready for `EVP_MAC_update`.
    private static func keyedContext(_ key: UnsafeRawBufferPointer) -> OpaquePointer? {
        guard let template = OpenSSLHandles.hmacTemplate, let context = EVP_MAC_CTX_dup(template) else {
            return nil
        }
        // An empty key is the same HMAC key as a single zero byte (keys are zero-padded to the
        // block size); OpenSSL would read a NULL key as "keep the current key" instead.
        let zero: [UInt8] = [0]
        let status = zero.withUnsafeBytes { zero in
            let key = key.isEmpty ? zero : key
            return EVP_MAC_init(context, key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count, nil)
        }
        guard status == 1 else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        return context
    }

    private static func finish(
        _ context: OpaquePointer, _ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        var length = 0
        guard EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1,
            EVP_MAC_final(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, output.count) == 1
        else { return false }
        return length == HMACSHA256.byteCount
    }
}
