import Synchronization

/// RFC 9180 Hybrid Public Key Encryption, single-shot, base mode, with the one suite the
/// delegate uses: DHKEM(X25519, HKDF-SHA256) (KEM 0x0020), HKDF-SHA256 (KDF 0x0001) and
/// ChaCha20-Poly1305 (AEAD 0x0003).
///
/// A pure value API: bytes in, bytes out, no state kept between calls. Keys are raw X25519
/// keys of 32 bytes (RFC 7748). Every primitive is OpenSSL's (the distribution's libcrypto),
/// so security fixes and provider configuration come from the operating system.
public enum HPKE {
    /// The suite's name in sealed results (docs/INTERFACE.md section 13).
    public static let algorithm = "HPKE-X25519-SHA256-ChaCha20Poly1305"
    /// Length of a private key, a public key and `enc`.
    public static let keyByteCount = X25519Key.byteCount

    /// A key pair of raw X25519 keys.
    public struct KeyPair: Sendable {
        /// Keep secret; whoever has it opens everything sealed to `publicKey`.
        public let privateKey: [UInt8]
        public let publicKey: [UInt8]
    }

    /// A fresh key pair from OpenSSL's random generator.
    public static func generateKeyPair() throws(HPKEError) -> KeyPair {
        let key = try X25519Key.generate()
        return KeyPair(privateKey: try key.rawPrivateKey(), publicKey: try key.rawPublicKey())
    }

    /// The public key belonging to a raw private key.
    public static func publicKey(privateKey: [UInt8]) throws(HPKEError) -> [UInt8] {
        try X25519Key(privateKey: privateKey).rawPublicKey()
    }

    /// Seals a message to `pair`'s public key and opens it with its private key: what a client
    /// that will open results (`keygen`, `submit --seal`) asks before it hands out the public key,
    /// so that a libcrypto lacking part of the suite (a FIPS-only one has X25519 but no
    /// ChaCha20-Poly1305) or a pair whose halves do not match refuses at once, not after a task
    /// ran and its result came back sealed where it cannot be opened.
    public static func checkRoundTrip(_ pair: KeyPair) throws(HPKEError) {
        let message: [UInt8] = Array("secrets-delegate trial".utf8)
        do throws(HPKEError) {
            let sealed = try seal(publicKey: pair.publicKey, info: [], aad: [], plaintext: message)
            let opened = try open(privateKey: pair.privateKey, enc: sealed.enc, info: [], aad: [], ciphertext: sealed.ciphertext)
            guard opened == message else { throw HPKEError(code: .openSSL, message: "the trial message opened to other bytes") }
        } catch {
            throw HPKEError(code: .openSSL, message: "a trial seal and open with the new key pair failed: \(error.message)")
        }
    }

    /// Checks that `publicKey` can be sealed to: 32 bytes, in canonical form, and not a
    /// small-order point (with which every sealing would fail). Costs one X25519 operation, and the first time (until one
    /// succeeds) a whole seal to a key of its own, so that a libcrypto whose providers lack part of
    /// the suite (a FIPS-only one has no ChaCha20-Poly1305) refuses here, before the task runs.
    public static func validate(publicKey: [UInt8]) throws(HPKEError) {
        if !suiteProven.load(ordering: .relaxed) {
            // Whatever fails here is this host's libcrypto, never the caller's key.
            do {
                try checkRoundTrip(try generateKeyPair())
            } catch {
                throw HPKEError(code: .openSSL, message: "a trial seal to a key of its own failed: \(error.message)")
            }
            suiteProven.store(true, ordering: .relaxed)
        }
        guard isCanonical(publicKey: publicKey) else {
            throw HPKEError(
                code: .invalidPublicKey,
                message: "not in canonical form (its top bit set, or a value of 2^255-19 or more)")
        }
        do {
            _ = try X25519Key.generate().sharedSecret(with: X25519Key(publicKey: publicKey))
        } catch where error.code == .invalidPublicKey {
            throw HPKEError(code: .invalidPublicKey, message: "a point of small order")
        }
    }

    /// Whether `publicKey` is the one encoding X25519 gives its value: below 2^255 - 19 (little
    /// endian), top bit clear. X25519 reads any other encoding as a canonical one, but the
    /// recipient binds its own canonical public key into the key schedule (`kem_context`), so a
    /// result sealed to another encoding of its key could never be opened.
    static func isCanonical(publicKey: [UInt8]) -> Bool {
        guard publicKey.count == keyByteCount, publicKey[31] & 0x80 == 0 else { return false }
        // The only values at or above p = 2^255 - 19 below 2^255: 0x7fff...ff(ed-ff).
        let atOrAboveP = publicKey[31] == 0x7f && publicKey[1...30].allSatisfy { $0 == 0xff } && publicKey[0] >= 0xed
        return !atOrAboveP
    }

    /// Whether a whole seal has worked in this process (only a success is kept: a failure for
    /// want of memory passes).
    private static let suiteProven = Atomic<Bool>(false)

    /// Seals `plaintext` to `publicKey` (RFC 9180 `SealBase`): a fresh ephemeral key for each
    /// call, so sealing the same plaintext twice gives different results.
    ///
    /// - Returns: `enc`, the 32-byte encapsulated key, and the ciphertext (plaintext length
    ///   plus a 16-byte tag). Both are needed to open.
    public static func seal(
        publicKey: [UInt8], info: [UInt8], aad: [UInt8], plaintext: [UInt8]
    ) throws(HPKEError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        try seal(publicKey: publicKey, info: info, aad: aad, plaintext: plaintext, ephemeralKey: X25519Key.generate())
    }

    /// `SealBase` with a given ephemeral key: RFC 9180's test vectors fix it (`skEm`).
    static func seal(
        publicKey: [UInt8], info: [UInt8], aad: [UInt8], plaintext: [UInt8], ephemeralKey: X25519Key
    ) throws(HPKEError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        let (sharedSecret, enc) = try encapsulate(publicKey: publicKey, ephemeralKey: ephemeralKey)
        let context = try keySchedule(sharedSecret: sharedSecret, info: info)
        let ciphertext = try ChaCha20Poly1305.seal(
            key: context.key, nonce: context.nonce(sequence: 0), aad: aad, plaintext: plaintext)
        return (enc, ciphertext)
    }

    /// Opens what ``seal(publicKey:info:aad:plaintext:)`` sealed to the public key of
    /// `privateKey` (RFC 9180 `OpenBase`). Throws `authenticationFailed` if the ciphertext,
    /// `enc`, `info` or `aad` differ from what was sealed, or the key is not the recipient's.
    public static func open(
        privateKey: [UInt8], enc: [UInt8], info: [UInt8], aad: [UInt8], ciphertext: [UInt8]
    ) throws(HPKEError) -> [UInt8] {
        let sharedSecret = try decapsulate(enc: enc, privateKey: X25519Key(privateKey: privateKey))
        let context = try keySchedule(sharedSecret: sharedSecret, info: info)
        return try ChaCha20Poly1305.open(
            key: context.key, nonce: context.nonce(sequence: 0), aad: aad, ciphertext: ciphertext)
    }
}
