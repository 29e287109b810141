internal import COpenSSL
import Synchronization

/// An HMAC-SHA256 key set up once, for the many signatures made with one cached SigV4 key.
///
/// Re-initialising a used context with the same key costs about a third of duplicating a
/// keyed one, so finished contexts are kept in a small pool; each is used by one thread at a
/// time (taken out of the pool under the lock, put back after use).
///
/// `@unchecked Sendable`: `template` is written only in `init`, then only read as the `const`
/// source of `EVP_MAC_CTX_dup` (OpenSSL allows that from several threads); pooled contexts
/// are only touched by the thread that took them out of the mutex.
final class HMACSHA256Key: @unchecked Sendable {
    private static let poolLimit = 4

    private let template: OpaquePointer
    private let idle = Mutex<[IdleContext]>([])

    /// A pooled context. `@unchecked Sendable` because whoever takes it out of the pool owns
    /// it exclusively until putting it back.
    private struct IdleContext: @unchecked Sendable {
        var pointer: OpaquePointer
    }

    /// Nil if OpenSSL cannot set up HMAC-SHA256.
    init?(key: UnsafeRawBufferPointer) {
        guard let template = Self.keyedContext(key) else { return nil }
        self.template = template
    }

    deinit {
        EVP_MAC_CTX_free(template)
        idle.withLock { contexts in
            for context in contexts { EVP_MAC_CTX_free(context.pointer) }
        }
    }

    /// Writes the 32-byte tag of `message` to `output` (at least 32 bytes); false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard output.count >= HMACSHA256.byteCount else { return false }
        var context = idle.withLock { $0.popLast()?.pointer }
        if let reused = context, EVP_MAC_init(reused, nil, 0, nil) != 1 {
            EVP_MAC_CTX_free(reused)
            context = nil
        }
        guard let context = context ?? EVP_MAC_CTX_dup(template) else { return false }
        let succeeded = Self.finish(context, message, into: output)
        let kept =
            succeeded
            && idle.withLock { contexts in
                guard contexts.count < Self.poolLimit else { return false }
                contexts.append(IdleContext(pointer: context))
                return true
            }
        if !kept { EVP_MAC_CTX_free(context) }
        return succeeded
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
