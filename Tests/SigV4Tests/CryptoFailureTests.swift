import Foundation
import Testing

@testable import SigV4

/// A failed digest or HMAC is an error, never a key or signature made of zero bytes.
@Suite struct CryptoFailureTests {
    @Test func aFailedDerivationIsThrownAndNothingIsCached() throws {
        let cache = SigningKeyCache()
        let key = SigningKeyCache.Key(secretAccessKey: "secret", day: 20_150_830, region: "us-east-1", service: "s")
        #expect(throws: SigV4Error.crypto("HMAC-SHA256")) {
            try cache.signingKey(for: key) { () throws(SigV4Error) -> SigningKey in throw .crypto("HMAC-SHA256") }
        }
        // The next signature derives again (no half-made key was kept) and succeeds.
        let derived = try cache.signingKey(for: key) { () throws(SigV4Error) -> SigningKey in
            try SigningKey(secretAccessKey: "secret", dateStamp: "20150830", region: "us-east-1", service: "s")
        }
        let message = Array("string to sign".utf8)
        var tag = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
        #expect(message.withUnsafeBytes { message in tag.withUnsafeMutableBytes { derived.authenticate(message, into: $0) } })
        let bytes = try SigningKey.derive(secretAccessKey: "secret", dateStamp: "20150830", region: "us-east-1", service: "s")
        #expect(bytes.count == HMACSHA256.byteCount && bytes != [UInt8](repeating: 0, count: HMACSHA256.byteCount))
        #expect(try tag == HMACSHA256.authenticate(key: bytes, message: message))
        #expect(cache.misses == 2)
    }

    @Test func theErrorNamesThePrimitiveAndNoKeyMaterial() {
        let error = SigV4Error.crypto("HMAC-SHA256")
        #expect(error.code == .cryptoFailure)
        #expect(error.description == "CryptoFailure: OpenSSL failed to compute HMAC-SHA256")
    }
}
