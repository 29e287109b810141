/// A derived SigV4 signing key (`AWS4` + secret → date → region → service → `aws4_request`),
/// kept together with an HMAC context already keyed with it.
///
/// Immutable; shared between threads through `SigningKeyCache`.
final class SigningKey: Sendable {
    let bytes: [UInt8]
    private let keyed: HMACSHA256Key?

    init(secretAccessKey: String, dateStamp: String, region: String, service: String) {
        let secret = Array("AWS4\(secretAccessKey)".utf8)
        var key = HMACSHA256.authenticate(key: secret, message: Array(dateStamp.utf8))
        key = HMACSHA256.authenticate(key: key, message: Array(region.utf8))
        key = HMACSHA256.authenticate(key: key, message: Array(service.utf8))
        key = HMACSHA256.authenticate(key: key, message: Array("aws4_request".utf8))
        bytes = key
        keyed = key.withUnsafeBytes { HMACSHA256Key(key: $0) }
    }

    /// Writes the HMAC-SHA256 of `message` under this key to `output` (32 bytes);
    /// false if OpenSSL failed.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        if let keyed { return keyed.authenticate(message, into: output) }
        let tag = bytes.withUnsafeBytes { HMACSHA256.authenticate(key: $0, message: message) }
        tag.withUnsafeBytes { output.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(output.count))) }
        return tag.count == HMACSHA256.byteCount
    }
}
