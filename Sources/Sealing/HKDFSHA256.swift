internal import COpenSSL

/// HKDF-SHA256 (RFC 5869) through OpenSSL's `EVP_KDF` "HKDF", its two halves called separately
/// as HPKE needs (mode `EXTRACT_ONLY`, then `EXPAND_ONLY`).
enum HKDFSHA256 {
    /// `Nh`, the length of a pseudorandom key.
    static let byteCount = 32

    /// `HKDF-Extract(salt, ikm)`: a 32-byte pseudorandom key. An empty salt is the RFC's
    /// default (HashLen zero bytes, the same HMAC key).
    static func extract(salt: [UInt8], ikm: [UInt8]) throws(HPKEError) -> [UInt8] {
        try derive(mode: "EXTRACT_ONLY", key: ikm, salt: salt, info: nil, length: byteCount)
    }

    /// `HKDF-Expand(prk, info, length)`; `length` at most 255 * 32.
    static func expand(prk: [UInt8], info: [UInt8], length: Int) throws(HPKEError) -> [UInt8] {
        guard (1...(255 * byteCount)).contains(length) else {
            throw HPKEError(code: .invalidLength, message: "HKDF-Expand cannot produce \(length) bytes")
        }
        return try derive(mode: "EXPAND_ONLY", key: prk, salt: nil, info: info, length: length)
    }

    private static func derive(
        mode: String, key: [UInt8], salt: [UInt8]?, info: [UInt8]?, length: Int
    ) throws(HPKEError) -> [UInt8] {
        let kdf = try OpenSSLCall.check(EVP_KDF_fetch(nil, "HKDF", nil), "EVP_KDF_fetch(HKDF)")
        defer { EVP_KDF_free(kdf) }
        let context = try OpenSSLCall.check(EVP_KDF_CTX_new(kdf), "EVP_KDF_CTX_new")
        defer { EVP_KDF_CTX_free(context) }

        let params = ParamStorage()
        params.addUTF8String("mode", mode)
        params.addUTF8String("digest", "SHA256")
        params.addOctetString("key", key)
        if let salt { params.addOctetString("salt", salt) }
        if let info { params.addOctetString("info", info) }
        var output = [UInt8](repeating: 0, count: length)
        let status = params.withParams { params in
            output.withUnsafeMutableBufferPointer { output in
                EVP_KDF_derive(context, output.baseAddress, length, params)
            }
        }
        try OpenSSLCall.check(status, "EVP_KDF_derive(HKDF, \(mode))")
        return output
    }
}
