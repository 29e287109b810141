internal import COpenSSL
import SigV4

/// The MD5 SQS gives of a message's body (`MD5OfBody`), which the SDKs check on receive: a body
/// changed on its way (a proxy that rewrites it, an `http://` endpoint) is not taken for the
/// producer's. Through libcrypto's provider, so where MD5 is not allowed (FIPS mode) there is no
/// digest and nothing is checked.
enum SQSBodyDigest {
    /// Lowercase hex of the MD5 of `body`'s UTF-8, as SQS writes it; nil if libcrypto cannot make one.
    static func hexMD5(of body: String) -> String? {
        var body = body
        return body.withUTF8 { bytes -> String? in
            var digest = [UInt8](repeating: 0, count: 16)
            var length = 0
            let made = digest.withUnsafeMutableBufferPointer { output in
                EVP_Q_digest(nil, "MD5", nil, bytes.baseAddress, bytes.count, output.baseAddress, &length)
            }
            guard made == 1, length == 16 else {
                ERR_clear_error()
                return nil
            }
            return Hex.encode(digest)
        }
    }
}
