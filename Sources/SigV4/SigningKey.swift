/// A derived SigV4 signing key (`AWS4` + secret → date → region → service → `aws4_request`),
/// kept together with the HMAC states already keyed with it.
///
/// Immutable; shared between threads through `SigningKeyCache`.
final class SigningKey: Sendable {
    let bytes: [UInt8]
    private let keyed: HMACSHA256Key

    /// - Throws: ``SigV4Error`` if OpenSSL fails (no half-derived key is ever cached).
    init(secretAccessKey: String, dateStamp: String, region: String, service: String) throws(SigV4Error) {
        let secret = Array("AWS4\(secretAccessKey)".utf8)
        var key = try HMACSHA256.authenticate(key: secret, message: Array(dateStamp.utf8))
        key = try HMACSHA256.authenticate(key: key, message: Array(region.utf8))
        key = try HMACSHA256.authenticate(key: key, message: Array(service.utf8))
        key = try HMACSHA256.authenticate(key: key, message: Array("aws4_request".utf8))
        bytes = key
        keyed = key.withUnsafeBytes { HMACSHA256Key(key: $0) }
    }

    /// Writes the HMAC-SHA256 of `message` under this key to `output` (32 bytes);
    /// false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        keyed.authenticate(message, into: output)
    }
}
