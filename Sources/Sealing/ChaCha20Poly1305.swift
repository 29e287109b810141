internal import COpenSSL

/// ChaCha20-Poly1305 (RFC 8439) through OpenSSL's `EVP_CIPHER`. The ciphertext carries its
/// 16-byte tag at the end, as HPKE's `Seal` and `Open` expect.
enum ChaCha20Poly1305 {
    static let keyByteCount = 32
    static let nonceByteCount = 12
    static let tagByteCount = 16

    static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) throws(HPKEError) -> [UInt8] {
        guard plaintext.count < Int(Int32.max) - tagByteCount else {
            throw HPKEError(code: .invalidLength, message: "the plaintext is too long")
        }
        let context = try makeContext(key: key, nonce: nonce, aad: aad, encrypting: true)
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var written: Int32 = 0
        if !plaintext.isEmpty {
            try OpenSSLCall.check(
                EVP_EncryptUpdate(context, &output, &written, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate")
            guard Int(written) == plaintext.count else { throw OpenSSLCall.failure("EVP_EncryptUpdate") }
        }
        var tail = [UInt8](repeating: 0, count: tagByteCount)
        try OpenSSLCall.check(EVP_EncryptFinal_ex(context, &tail, &written), "EVP_EncryptFinal_ex")
        guard written == 0 else { throw OpenSSLCall.failure("EVP_EncryptFinal_ex") }
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        try OpenSSLCall.check(
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagByteCount), &tag),
            "EVP_CIPHER_CTX_ctrl(GET_TAG)")
        output.replaceSubrange(plaintext.count..., with: tag)
        return output
    }

    /// The plaintext, or `authenticationFailed` if the tag does not match.
    static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], ciphertext: [UInt8]) throws(HPKEError) -> [UInt8] {
        guard ciphertext.count < Int32.max else {
            throw HPKEError(code: .invalidLength, message: "the ciphertext is too long")
        }
        guard ciphertext.count >= tagByteCount else {
            throw HPKEError(code: .authenticationFailed, message: "the ciphertext is shorter than its tag")
        }
        let context = try makeContext(key: key, nonce: nonce, aad: aad, encrypting: false)
        defer { EVP_CIPHER_CTX_free(context) }
        let bodyCount = ciphertext.count - tagByteCount
        var output = [UInt8](repeating: 0, count: bodyCount)
        var written: Int32 = 0
        if bodyCount > 0 {
            let status = ciphertext.withUnsafeBufferPointer { body in
                EVP_DecryptUpdate(context, &output, &written, body.baseAddress, Int32(bodyCount))
            }
            try OpenSSLCall.check(status, "EVP_DecryptUpdate")
            guard Int(written) == bodyCount else { throw OpenSSLCall.failure("EVP_DecryptUpdate") }
        }
        var tag = Array(ciphertext[bodyCount...])
        try OpenSSLCall.check(
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagByteCount), &tag),
            "EVP_CIPHER_CTX_ctrl(SET_TAG)")
        var tail = [UInt8](repeating: 0, count: tagByteCount)
        guard EVP_DecryptFinal_ex(context, &tail, &written) == 1 else {
            // The unauthenticated plaintext never leaves this function.
            output.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            ERR_clear_error()
            throw HPKEError(code: .authenticationFailed, message: "the ciphertext does not authenticate")
        }
        return output
    }

    /// A context set up with cipher, key and nonce, the AAD already fed in.
    private static func makeContext(
        key: [UInt8], nonce: [UInt8], aad: [UInt8], encrypting: Bool
    ) throws(HPKEError) -> OpaquePointer {
        guard key.count == keyByteCount, nonce.count == nonceByteCount else {
            throw HPKEError(code: .invalidLength, message: "ChaCha20-Poly1305 takes a 32-byte key and a 12-byte nonce")
        }
        guard aad.count < Int32.max else {
            throw HPKEError(code: .invalidLength, message: "the associated data is too long")
        }
        let cipher = try OpenSSLCall.check(
            EVP_CIPHER_fetch(nil, "ChaCha20-Poly1305", nil), "EVP_CIPHER_fetch(ChaCha20-Poly1305)")
        defer { EVP_CIPHER_free(cipher) }
        let context = try OpenSSLCall.check(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        do {
            var written: Int32 = 0
            if encrypting {
                try OpenSSLCall.check(EVP_EncryptInit_ex2(context, cipher, key, nonce, nil), "EVP_EncryptInit_ex2")
                if !aad.isEmpty {
                    try OpenSSLCall.check(
                        EVP_EncryptUpdate(context, nil, &written, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)")
                }
            } else {
                try OpenSSLCall.check(EVP_DecryptInit_ex2(context, cipher, key, nonce, nil), "EVP_DecryptInit_ex2")
                if !aad.isEmpty {
                    try OpenSSLCall.check(
                        EVP_DecryptUpdate(context, nil, &written, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)")
                }
            }
        } catch {
            EVP_CIPHER_CTX_free(context)
            throw error
        }
        return context
    }
}
