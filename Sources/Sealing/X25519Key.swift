internal import COpenSSL

/// An X25519 key (private with its public half, or public only) owned by OpenSSL as an
/// `EVP_PKEY`, freed in `deinit`.
///
/// Not `Sendable`: each seal or open makes its own keys and drops them before returning.
final class X25519Key {
    static let byteCount = 32

    private let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// A fresh key pair from OpenSSL's generator (`EVP_PKEY_generate`).
    static func generate() throws(HPKEError) -> X25519Key {
        let context = try OpenSSLCall.check(
            EVP_PKEY_CTX_new_from_name(nil, "X25519", nil), "EVP_PKEY_CTX_new_from_name")
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLCall.check(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
        var key: OpaquePointer?
        try OpenSSLCall.check(EVP_PKEY_generate(context, &key), "EVP_PKEY_generate")
        return X25519Key(pointer: try OpenSSLCall.check(key, "EVP_PKEY_generate"))
    }

    /// The key pair whose private key is the 32 raw bytes `privateKey` (RFC 7748; clamping is
    /// X25519's own).
    convenience init(privateKey: [UInt8]) throws(HPKEError) {
        guard privateKey.count == Self.byteCount else {
            throw HPKEError(code: .invalidLength, message: "an X25519 private key is 32 bytes, not \(privateKey.count)")
        }
        self.init(
            pointer: try OpenSSLCall.check(
                EVP_PKEY_new_raw_private_key_ex(nil, "X25519", nil, privateKey, privateKey.count),
                "EVP_PKEY_new_raw_private_key_ex"))
    }

    /// The public key of 32 raw bytes (a u-coordinate, RFC 7748).
    convenience init(publicKey: [UInt8]) throws(HPKEError) {
        guard publicKey.count == Self.byteCount else {
            throw HPKEError(code: .invalidLength, message: "an X25519 public key is 32 bytes, not \(publicKey.count)")
        }
        self.init(
            pointer: try OpenSSLCall.check(
                EVP_PKEY_new_raw_public_key_ex(nil, "X25519", nil, publicKey, publicKey.count),
                "EVP_PKEY_new_raw_public_key_ex"))
    }

    /// The 32 raw bytes of the public key (HPKE's `SerializePublicKey`).
    func rawPublicKey() throws(HPKEError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        var length = bytes.count
        try OpenSSLCall.check(EVP_PKEY_get_raw_public_key(pointer, &bytes, &length), "EVP_PKEY_get_raw_public_key")
        guard length == Self.byteCount else { throw OpenSSLCall.failure("EVP_PKEY_get_raw_public_key") }
        return bytes
    }

    /// The 32 raw bytes of the private key (HPKE's `SerializePrivateKey`).
    func rawPrivateKey() throws(HPKEError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        var length = bytes.count
        try OpenSSLCall.check(EVP_PKEY_get_raw_private_key(pointer, &bytes, &length), "EVP_PKEY_get_raw_private_key")
        guard length == Self.byteCount else { throw OpenSSLCall.failure("EVP_PKEY_get_raw_private_key") }
        return bytes
    }

    /// X25519 of this private key with `peer`'s public key. A result of all zeros (a
    /// small-order `peer`) is refused as RFC 9180 section 7.1.4 requires; OpenSSL refuses it
    /// too, and either way it is `invalidPublicKey`.
    func sharedSecret(with peer: X25519Key) throws(HPKEError) -> [UInt8] {
        let context = try OpenSSLCall.check(EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil), "EVP_PKEY_CTX_new_from_pkey")
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLCall.check(EVP_PKEY_derive_init(context), "EVP_PKEY_derive_init")
        try OpenSSLCall.check(
            EVP_PKEY_derive_set_peer(context, peer.pointer), "EVP_PKEY_derive_set_peer", code: .invalidPublicKey)
        var secret = [UInt8](repeating: 0, count: Self.byteCount)
        var length = secret.count
        try OpenSSLCall.check(EVP_PKEY_derive(context, &secret, &length), "EVP_PKEY_derive", code: .invalidPublicKey)
        guard length == Self.byteCount, secret.contains(where: { $0 != 0 }) else {
            throw HPKEError(code: .invalidPublicKey, message: "X25519 with this public key gives the all-zero value")
        }
        return secret
    }
}
