internal import COpenSSL

/// OpenSSL algorithm handles fetched once per process.
///
/// With OpenSSL 3, handing the legacy `EVP_sha256()` to `EVP_Digest` makes every call look the
/// provider implementation up again, which doubles the cost of a small hash; an explicitly
/// fetched `EVP_MD` skips that. Likewise an HMAC context whose digest is already set is
/// duplicated per use instead of re-resolving "SHA256" by name on every key.
///
/// Both are immutable after creation and only ever passed as `const` to OpenSSL, which
/// OpenSSL documents as safe to share between threads.
enum OpenSSLHandles {
    nonisolated(unsafe) static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

    /// A keyless `EVP_MAC_CTX` for HMAC with SHA-256 selected; nil only if OpenSSL is unusable.
    nonisolated(unsafe) static let hmacTemplate: OpaquePointer? = makeHMACTemplate()

    private static func makeHMACTemplate() -> OpaquePointer? {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { return nil }
        // The context keeps its own reference to the algorithm.
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else { return nil }
        // OSSL_PARAM keeps the pointers it is given: both C strings must outlive the set_params
        // call, so neither may be a temporary bridged from a Swift string for one call only.
        var digestKey = Array("digest".utf8CString)
        var digestName = Array("SHA256".utf8CString)
        let status = digestKey.withUnsafeMutableBufferPointer { key -> Int32 in
            digestName.withUnsafeMutableBufferPointer { name -> Int32 in
                var params = [
                    OSSL_PARAM_construct_utf8_string(key.baseAddress, name.baseAddress, 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_CTX_set_params(context, &params)
            }
        }
        guard status == 1 else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        return context
    }
}
