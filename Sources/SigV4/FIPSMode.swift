internal import COpenSSL

/// Whether OpenSSL's default properties ask for FIPS-approved implementations
/// (`default_properties = fips=yes` in `openssl.cnf`, as a FIPS-mode distribution sets).
///
/// The signer's fast SHA-256 and HMAC (``SHA256State``, ``HMACSHA256Key``) use OpenSSL's
/// SHA-256 outside the provider layer, so they would bypass a FIPS provider. In FIPS mode the
/// signer goes through `EVP_Digest` and `EVP_Q_mac` instead: the provider's implementations, at
/// the cost of a context made and freed per call. Read once per process.
enum FIPSMode {
    static let isEnabled: Bool = EVP_default_properties_is_fips_enabled(nil) == 1
}
