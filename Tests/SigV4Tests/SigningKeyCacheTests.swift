import Foundation
import Testing

@testable import SigV4

@Suite struct SigningKeyCacheTests {
    static let credentials = Credentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "TOKEN-VALUE-123")
    static let request = SigV4Request(
        method: "POST", headers: [(name: "Host", value: "secretsmanager.us-east-1.amazonaws.com")],
        payload: .bytes(Array("{}".utf8)))
    static let day1 = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let day1Later = Date(timeIntervalSince1970: 1_440_979_199)  // 2015-08-30T23:59:59Z
    static let day2 = Date(timeIntervalSince1970: 1_440_979_200)  // 2015-08-31T00:00:00Z

    /// The key derivation written out with the public HMAC, independent of the signer.
    static func derivedKey(secret: String, date: String, region: String, service: String) throws -> [UInt8] {
        var key = try HMACSHA256.authenticate(key: Array("AWS4\(secret)".utf8), message: Array(date.utf8))
        for part in [region, service, "aws4_request"] {
            key = try HMACSHA256.authenticate(key: key, message: Array(part.utf8))
        }
        return key
    }

    @Test func hitReturnsSameKeyAndSignature() throws {
        let cache = SigningKeyCache()
        let cached = SigV4Signer(
            credentials: Self.credentials, region: "us-east-1", service: "secretsmanager", keyCache: cache)
        let uncached = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "secretsmanager")

        let first = try cached.sign(Self.request, date: Self.day1)
        #expect((cache.count, cache.misses, cache.hits) == (1, 1, 0))
        let second = try cached.sign(Self.request, date: Self.day1)
        let laterSameDay = try cached.sign(Self.request, date: Self.day1Later)
        #expect((cache.count, cache.misses, cache.hits) == (1, 1, 2))

        #expect(first.signature == second.signature)
        #expect(try first.signature == uncached.sign(Self.request, date: Self.day1).signature)
        #expect(try laterSameDay.signature == uncached.sign(Self.request, date: Self.day1Later).signature)
        #expect(laterSameDay.signature != first.signature)
        let expectedKey = try Self.derivedKey(
            secret: Self.credentials.secretAccessKey, date: "20150830", region: "us-east-1", service: "secretsmanager")
        #expect(try cached.signingKey(for: Self.day1) == expectedKey)
        #expect(try uncached.signingKey(for: Self.day1) == expectedKey)
    }

    @Test func dateRegionServiceAndSecretChangesMissAndStayCorrect() throws {
        let cache = SigningKeyCache()
        let variants: [(Credentials, String, String, Date)] = [
            (Self.credentials, "us-east-1", "secretsmanager", Self.day1),
            (Self.credentials, "us-east-1", "secretsmanager", Self.day2),
            (Self.credentials, "eu-west-1", "secretsmanager", Self.day2),
            (Self.credentials, "eu-west-1", "sts", Self.day2),
            (Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "other"), "eu-west-1", "sts", Self.day2),
        ]
        var signatures = Set<String>()
        for (credentials, region, service, date) in variants {
            let cached = SigV4Signer(credentials: credentials, region: region, service: service, keyCache: cache)
            let uncached = SigV4Signer(credentials: credentials, region: region, service: service)
            let signature = try cached.sign(Self.request, date: date).signature
            #expect(try signature == uncached.sign(Self.request, date: date).signature)
            signatures.insert(signature)
        }
        #expect(signatures.count == variants.count)
        #expect((cache.count, cache.misses, cache.hits) == (5, 5, 0))
    }

    /// A key two days older than the one stored goes (no signature uses it again; yesterday's
    /// stays for a clock corrected back over midnight): a secret key no longer used is not held
    /// for as long as the cache has room.
    @Test func keysTwoDaysOlderThanTheNewestGo() throws {
        let cache = SigningKeyCache()
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s", keyCache: cache)
        let days = (0..<3).map { Date(timeIntervalSince1970: 1_440_938_160 + Double($0) * 86_400) }
        _ = try signer.sign(Self.request, date: days[0])
        _ = try signer.sign(Self.request, date: days[1])
        #expect(cache.count == 2)
        _ = try signer.sign(Self.request, date: days[2])
        #expect(cache.count == 2)
        _ = try signer.sign(Self.request, date: days[1])  // yesterday: still held
        #expect((cache.misses, cache.hits) == (3, 1))
    }

    @Test func evictsOldestBeyondCapacity() throws {
        let cache = SigningKeyCache(capacity: 2)
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s", keyCache: cache)
        let days = (0..<3).map { Date(timeIntervalSince1970: 1_440_938_160 + Double($0) * 86_400) }
        for day in days { _ = try signer.sign(Self.request, date: day) }
        #expect((cache.count, cache.misses) == (2, 3))
        _ = try signer.sign(Self.request, date: days[2])  // newest: still cached
        #expect((cache.misses, cache.hits) == (3, 1))
        _ = try signer.sign(Self.request, date: days[0])  // oldest: evicted
        #expect((cache.count, cache.misses) == (2, 4))
        cache.removeAll()
        #expect(cache.count == 0)
    }

    /// First stored, first dropped: a hit does not keep a key longer (the keys change once a day,
    /// so the oldest is the one least likely to be asked for again).
    @Test func aHitDoesNotChangeWhichKeyGoesFirst() throws {
        let cache = SigningKeyCache(capacity: 2)
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s", keyCache: cache)
        let days = (0..<3).map { Date(timeIntervalSince1970: 1_440_938_160 + Double($0) * 86_400) }
        _ = try signer.sign(Self.request, date: days[0])
        _ = try signer.sign(Self.request, date: days[1])
        _ = try signer.sign(Self.request, date: days[0])  // a hit on the oldest
        #expect((cache.misses, cache.hits) == (2, 1))
        _ = try signer.sign(Self.request, date: days[2])  // drops days[0] all the same
        _ = try signer.sign(Self.request, date: days[1])
        #expect((cache.misses, cache.hits) == (3, 2), "days[1] stayed")
        _ = try signer.sign(Self.request, date: days[0])
        #expect(cache.misses == 4, "days[0] went")
    }

    @Test func concurrentSignersShareOneKey() async throws {
        let cache = SigningKeyCache()
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s", keyCache: cache)
        let expected = try SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s")
            .sign(Self.request, date: Self.day1).signature
        let signatures = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<200).map { _ in (try? signer.sign(Self.request, date: Self.day1))?.signature ?? "failed" } }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(signatures.count == 1_600)
        #expect(signatures.allSatisfy { $0 == expected })
        #expect(cache.count == 1)
        #expect(cache.hits + cache.misses == 1_600)
    }

    @Test func descriptionsHideSecrets() throws {
        let cache = SigningKeyCache()
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s", keyCache: cache)
        let signed = try signer.sign(Self.request, date: Self.day1)
        let texts = [
            String(describing: Self.credentials), String(reflecting: Self.credentials), String(describing: signer),
            String(reflecting: signer), String(describing: signed), String(describing: cache),
        ]
        for text in texts {
            #expect(!text.contains(Self.credentials.secretAccessKey), "\(text)")
            #expect(!text.contains("TOKEN-VALUE-123"), "\(text)")
            #expect(!text.contains(signed.signature), "\(text)")
        }
        #expect(String(describing: signer).contains("AKIDEXAMPLE"))
    }
}
