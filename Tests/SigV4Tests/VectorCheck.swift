import Foundation
import SigV4
import Testing

/// Signs the request of a folder in AWS's `v4/` layout and compares every output byte for byte.
enum VectorCheck {
    static func run(folder: String) throws {
        let context = try FixtureContext.load("\(folder)/context.json")
        let raw = try RawRequest(parsing: Array(Fixtures.data("\(folder)/request.txt")))
        let signer = SigV4Signer(
            credentials: context.sigV4Credentials, region: context.region, service: context.service)

        let signed = try signer.sign(raw.sigV4Request, date: try context.date, options: context.options)

        #expect(signed.canonicalRequest == (try Fixtures.text("\(folder)/header-canonical-request.txt")))
        #expect(signed.stringToSign == (try Fixtures.text("\(folder)/header-string-to-sign.txt")))
        #expect(signed.signature == (try Fixtures.text("\(folder)/header-signature.txt")))

        // The signed request is the original plus exactly `headersToAdd` (the order of added
        // fields is not significant in HTTP, so header lines are compared as a multiset).
        let signedRequest = try RawRequest(parsing: Array(Fixtures.data("\(folder)/header-signed-request.txt")))
        let expected = signedRequest.headers.map { "\($0.name):\($0.value)" }.sorted()
        let actual = (raw.headers + signed.headersToAdd).map { "\($0.name):\($0.value)" }.sorted()
        #expect(actual == expected)
        #expect(signedRequest.body == raw.body)

        // Through a shared key cache (pooled HMAC contexts), twice: same bytes.
        let cached = SigV4Signer(
            credentials: context.sigV4Credentials, region: context.region, service: context.service,
            keyCache: sharedCache)
        for _ in 0..<2 {
            #expect(
                try cached.sign(raw.sigV4Request, date: context.date, options: context.options).signature
                    == signed.signature)
        }
    }

    static let sharedCache = SigningKeyCache()
}
