internal import COpenSSL

/// A SHA-256 computation in progress: OpenSSL's own SHA-256 context, a plain value.
///
/// Copying one copies the state, which is what HMAC with a fixed key wants: the state after the
/// padded key is kept and copied per message (``HMACSHA256Key``). The block function is
/// OpenSSL's (SHA-NI or AVX2, as the CPU allows), so fixes to it come with the distribution's
/// libcrypto. The provider layer is skipped, with the allocation, copy and wipe of a context
/// that `EVP_MAC` makes on every init and final; so is a FIPS provider, which is why the
/// signer does not use this type in FIPS mode (``FIPSMode``).
struct SHA256State: Sendable {
    private var context = SHA256_CTX()
    /// False once an OpenSSL call has failed; ``finish(into:)`` then reports the failure.
    private var valid: Bool

    init() {
        valid = sd_sha256_init(&context) == 1
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard valid, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        valid = sd_sha256_update(&context, base, bytes.count) == 1
    }

    /// Writes the 32-byte digest to `output` and wipes the state; false if OpenSSL failed at
    /// any step (nothing usable is then in `output`).
    mutating func finish(into output: UnsafeMutablePointer<UInt8>) -> Bool {
        defer { wipe() }
        return valid && sd_sha256_final(output, &context) == 1
    }

    /// Clears the state (it may be derived from a key) and makes any further use fail.
    mutating func wipe() {
        withUnsafeMutableBytes(of: &context) { OPENSSL_cleanse($0.baseAddress, $0.count) }
        valid = false
    }
}
