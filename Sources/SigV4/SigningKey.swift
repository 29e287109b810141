internal import COpenSSL

/// A derived SigV4 signing key (`AWS4` + secret → date → region → service → `aws4_request`),
/// held only as the HMAC states already keyed with it.
///
/// Neither the derived key nor the chain's intermediate keys outlive the derivation: each is
/// cleansed once the next is made, and the keyed states when the key is freed (evicted from
/// `SigningKeyCache`, or a signer without a cache done with it).
///
/// `@unchecked Sendable`: shared between threads through `SigningKeyCache`; `keyed` is written only
/// by `deinit`, when no other reference is left.
final class SigningKey: @unchecked Sendable {
    private var keyed: HMACSHA256Key

    /// - Throws: ``SigV4Error`` if OpenSSL fails (no half-derived key is ever cached).
    init(secretAccessKey: String, dateStamp: String, region: String, service: String) throws(SigV4Error) {
        var key = try Self.derive(
            secretAccessKey: secretAccessKey, dateStamp: dateStamp, region: region, service: service)
        defer { Self.cleanse(&key) }
        keyed = key.withUnsafeBytes { HMACSHA256Key(key: $0) }
    }

    deinit {
        keyed.wipe()
    }

    /// The derived key's bytes; the caller cleanses them when done. Every intermediate key (and
    /// `AWS4` + secret) is cleansed here, on failure too.
    static func derive(
        secretAccessKey: String, dateStamp: String, region: String, service: String
    ) throws(SigV4Error) -> [UInt8] {
        // Built in place: an interpolated "AWS4\(secret)" would be a string of its own, freed
        // with the secret in it.
        var secret: [UInt8] = []
        secret.reserveCapacity(4 + secretAccessKey.utf8.count)
        secret.append(contentsOf: "AWS4".utf8)
        secret.append(contentsOf: secretAccessKey.utf8)
        defer { cleanse(&secret) }
        var key = try HMACSHA256.authenticate(key: secret, message: Array(dateStamp.utf8))
        do {
            for part in [region, service, "aws4_request"] {
                let next = try HMACSHA256.authenticate(key: key, message: Array(part.utf8))
                cleanse(&key)
                key = next
            }
        } catch {
            cleanse(&key)
            throw error
        }
        return key
    }

    /// Overwrites `bytes` in place (OpenSSL's cleanse, which the compiler may not drop).
    static func cleanse(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }

    /// Writes the HMAC-SHA256 of `message` under this key to `output` (32 bytes);
    /// false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        keyed.authenticate(message, into: output)
    }
}
