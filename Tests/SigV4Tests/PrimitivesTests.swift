import Foundation
import Testing

@testable import SigV4

/// SHA-256, HMAC-SHA256 and hex against published vectors (FIPS 180-2, RFC 4231).
@Suite struct PrimitivesTests {
    @Test func sha256KnownAnswers() throws {
        #expect(try SHA256Digest.hexHash("") == SHA256Digest.emptyHexHash)
        #expect(try SHA256Digest.hexHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = [UInt8]((0..<1024).map { UInt8(truncatingIfNeeded: $0) })
        let expected = "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"
        #expect(try SHA256Digest.hexHash(long) == expected)
        #expect(try SHA256Digest.hexHash(Data(long)) == expected)
        #expect(try SHA256Digest.hexHash(long[...]) == expected)
        #expect(try SHA256Digest.hash(long).count == 32)
    }

    /// Both ways of computing a tag: from the keyed SHA-256 states, and through OpenSSL's
    /// provider as in FIPS mode.
    @Test(arguments: [false, true]) func hmacRFC4231(throughProvider: Bool) throws {
        func hmac(_ key: [UInt8], _ message: String) throws -> String {
            Hex.encode(try HMACSHA256.authenticate(key: key, message: Array(message.utf8), throughProvider: throughProvider))
        }
        #expect(
            try hmac([UInt8](repeating: 0x0b, count: 20), "Hi There")
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            try hmac(Array("Jefe".utf8), "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Key longer than the block size is hashed first.
        #expect(
            try hmac([UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First")
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test(arguments: [false, true]) func hmacWithEmptyKeyAndMessage(throughProvider: Bool) throws {
        #expect(
            try Hex.encode(HMACSHA256.authenticate(key: [], message: [], throughProvider: throughProvider))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        #expect(
            try HMACSHA256.authenticate(key: [], message: Array("msg".utf8), throughProvider: throughProvider)
                == HMACSHA256.authenticate(key: [0], message: Array("msg".utf8), throughProvider: throughProvider))
    }

    /// A key's states (or, through the provider, its kept bytes), once wiped, make no tag (a
    /// one-shot key is wiped after its tag).
    @Test(arguments: [false, true]) func aWipedKeyMakesNoTag(throughProvider: Bool) {
        var key = [UInt8](repeating: 7, count: 32).withUnsafeBytes {
            HMACSHA256Key(key: $0, throughProvider: throughProvider)
        }
        let message = Array("m".utf8)
        var tag = [UInt8](repeating: 0, count: 32)
        func authenticate() -> Bool {
            message.withUnsafeBytes { message in tag.withUnsafeMutableBytes { key.authenticate(message, into: $0) } }
        }
        #expect(authenticate())
        key.wipe()
        #expect(!authenticate())
    }

    /// Every key length from empty to past two blocks, each with messages that end on both sides
    /// of SHA-256's padding boundaries (55/56, 63/64/65, 119/120). The expected digest of all the
    /// tags, in order, is Python's `hmac` module's over the same inputs.
    @Test(arguments: [false, true]) func hmacAgreesWithPythonAcrossKeyAndMessageLengths(throughProvider: Bool) throws {
        var tags: [UInt8] = []
        for keyLength in 0...130 {
            let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 * 7 + keyLength) }
            for messageLength in [0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
                let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 * 13 + messageLength) }
                tags += try HMACSHA256.authenticate(key: key, message: message, throughProvider: throughProvider)
            }
        }
        #expect(try SHA256Digest.hexHash(tags) == "cc99c2e6a290cdd7d73177d4c2c93db0f497481da55eb97a526cfd748b542070")
    }

    /// SHA-256 of every length from 0 to 299 bytes against Python's `hashlib`, as one digest of
    /// the digests.
    @Test(arguments: [false, true]) func sha256AgreesWithPythonAcrossLengths(throughProvider: Bool) throws {
        var digests: [UInt8] = []
        for length in 0..<300 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 13 + length) }
            digests += try bytes.withUnsafeBytes { try SHA256Digest.hash($0, throughProvider: throughProvider) }
        }
        #expect(try SHA256Digest.hexHash(digests) == "800511e986dce0e66581380da4af496f6da8dfca8ba74170f375981e28afd4ad")
    }

    @Test func hexIsLowercase() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([]) == "")
    }
}

@Suite struct PercentEncodingTests {
    /// The encoding SigV4's canonical query and the AWS query protocol's form bodies share.
    @Test func onlyTheUnreservedSetStaysAsIs() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("a b/é+=&") == "a%20b%2F%C3%A9%2B%3D%26")
        #expect(PercentEncoding.encode("") == "")
    }
}
