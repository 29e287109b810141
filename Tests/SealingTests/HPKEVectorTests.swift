import Testing

@testable import Sealing

/// RFC 9180 appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base
/// mode, transcribed from the RFC.
enum RFC9180A2 {
    static let info = hex("4f6465206f6e2061204772656369616e2055726e")
    static let skEm = hex("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600")
    static let pkEm = hex("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a")
    static let skRm = hex("8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb")
    static let pkRm = hex("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a")
    static let enc = hex("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a")
    static let sharedSecret = hex("0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7")
    static let key = hex("ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91")
    static let baseNonce = hex("5c4d98150661b848853b547f")
    /// Encryption with sequence number 0.
    static let aad = hex("436f756e742d30")
    static let plaintext = hex("4265617574792069732074727574682c20747275746820626561757479")
    static let ciphertext = hex(
        "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28")
}

@Suite struct HPKEVectorTests {
    @Test func keysMatchTheVector() throws {
        #expect(try HPKE.publicKey(privateKey: RFC9180A2.skEm) == RFC9180A2.pkEm)
        #expect(try HPKE.publicKey(privateKey: RFC9180A2.skRm) == RFC9180A2.pkRm)
    }

    @Test func encapsulationAndKeyScheduleMatchTheVector() throws {
        let (sharedSecret, enc) = try HPKE.encapsulate(
            publicKey: RFC9180A2.pkRm, ephemeralKey: X25519Key(privateKey: RFC9180A2.skEm))
        #expect(hexString(enc) == hexString(RFC9180A2.enc))
        #expect(hexString(sharedSecret) == hexString(RFC9180A2.sharedSecret))
        #expect(try HPKE.decapsulate(enc: enc, privateKey: X25519Key(privateKey: RFC9180A2.skRm)) == sharedSecret)

        let context = try HPKE.keySchedule(sharedSecret: sharedSecret, info: RFC9180A2.info)
        #expect(hexString(context.key) == hexString(RFC9180A2.key))
        #expect(hexString(context.baseNonce) == hexString(RFC9180A2.baseNonce))
        #expect(context.nonce(sequence: 0) == RFC9180A2.baseNonce)
        #expect(hexString(context.nonce(sequence: 1)) == "5c4d98150661b848853b547e")
    }

    @Test func sealWithTheVectorsEphemeralKeyGivesItsCiphertext() throws {
        let sealed = try HPKE.seal(
            publicKey: RFC9180A2.pkRm, info: RFC9180A2.info, aad: RFC9180A2.aad, plaintext: RFC9180A2.plaintext,
            ephemeralKey: X25519Key(privateKey: RFC9180A2.skEm))
        #expect(hexString(sealed.enc) == hexString(RFC9180A2.enc))
        #expect(hexString(sealed.ciphertext) == hexString(RFC9180A2.ciphertext))
    }

    @Test func openTheVectorsCiphertext() throws {
        let plaintext = try HPKE.open(
            privateKey: RFC9180A2.skRm, enc: RFC9180A2.enc, info: RFC9180A2.info, aad: RFC9180A2.aad,
            ciphertext: RFC9180A2.ciphertext)
        #expect(plaintext == RFC9180A2.plaintext)
    }
}

@Suite struct HPKERoundTripTests {
    @Test(arguments: [0, 1, 63, 64, 65, 4096])
    func sealThenOpen(length: Int) throws {
        let pair = try HPKE.generateKeyPair()
        #expect(pair.privateKey.count == 32 && pair.publicKey.count == 32)
        #expect(try HPKE.publicKey(privateKey: pair.privateKey) == pair.publicKey)
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let sealed = try HPKE.seal(publicKey: pair.publicKey, info: Array("i".utf8), aad: [], plaintext: plaintext)
        #expect(sealed.enc.count == 32)
        #expect(sealed.ciphertext.count == length + 16)
        let opened = try HPKE.open(
            privateKey: pair.privateKey, enc: sealed.enc, info: Array("i".utf8), aad: [], ciphertext: sealed.ciphertext)
        #expect(opened == plaintext)
    }

    @Test func twoSealsOfOneMessageDiffer() throws {
        let pair = try HPKE.generateKeyPair()
        let first = try HPKE.seal(publicKey: pair.publicKey, info: [], aad: [], plaintext: [1, 2, 3])
        let second = try HPKE.seal(publicKey: pair.publicKey, info: [], aad: [], plaintext: [1, 2, 3])
        #expect(first.enc != second.enc)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test func anyChangeFailsToOpen() throws {
        let pair = try HPKE.generateKeyPair()
        let info = Array("secrets-delegate result v1".utf8)
        let aad = Array("task-1".utf8)
        let sealed = try HPKE.seal(publicKey: pair.publicKey, info: info, aad: aad, plaintext: Array("s3cr3t".utf8))
        func fails(
            privateKey: [UInt8]? = nil, enc: [UInt8]? = nil, info otherInfo: [UInt8]? = nil,
            aad otherAAD: [UInt8]? = nil,
            ciphertext: [UInt8]? = nil
        ) -> HPKEError.Code? {
            do {
                _ = try HPKE.open(
                    privateKey: privateKey ?? pair.privateKey, enc: enc ?? sealed.enc, info: otherInfo ?? info,
                    aad: otherAAD ?? aad, ciphertext: ciphertext ?? sealed.ciphertext)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(fails() == nil)
        for index in [0, 3, sealed.ciphertext.count - 1] {
            var tampered = sealed.ciphertext
            tampered[index] ^= 0x01
            #expect(fails(ciphertext: tampered) == .authenticationFailed)
        }
        var otherEnc = sealed.enc
        otherEnc[5] ^= 0x80
        #expect(fails(enc: otherEnc) == .authenticationFailed)
        #expect(fails(aad: Array("task-2".utf8)) == .authenticationFailed)
        #expect(fails(aad: []) == .authenticationFailed)
        #expect(fails(info: Array("secrets-delegate result v2".utf8)) == .authenticationFailed)
        #expect(fails(privateKey: try HPKE.generateKeyPair().privateKey) == .authenticationFailed)
        #expect(fails(ciphertext: Array(sealed.ciphertext.prefix(15))) == .authenticationFailed)
        #expect(fails(enc: Array(sealed.enc.prefix(31))) == .invalidLength)
    }

    /// X25519 reads a key with its top bit set (or a value of p or more) as another encoding of a
    /// canonical one, so a seal would work; but the recipient binds its own, canonical public key
    /// into the key schedule, and the result could never be opened. Such keys are refused.
    @Test func publicKeysNotInCanonicalFormAreRefused() throws {
        let pair = try HPKE.generateKeyPair()
        var highBit = pair.publicKey
        highBit[31] |= 0x80
        let sealed = try HPKE.seal(publicKey: highBit, info: [], aad: [], plaintext: [1])
        #expect(throws: HPKEError.self) {
            _ = try HPKE.open(privateKey: pair.privateKey, enc: sealed.enc, info: [], aad: [], ciphertext: sealed.ciphertext)
        }
        let p = [UInt8]([0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f])
        let pPlusOne = [UInt8]([0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f])
        let top = [UInt8](repeating: 0xff, count: 31) + [0x7f]
        for key in [highBit, p, pPlusOne, top] {
            let error = #expect(throws: HPKEError.self) { try HPKE.validate(publicKey: key) }
            #expect(error?.code == .invalidPublicKey)
            #expect(error?.message.contains("canonical") == true)
        }
        // Just below p, and the largest value with a byte below 0xff: canonical.
        #expect(HPKE.isCanonical(publicKey: [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f]))
        #expect(HPKE.isCanonical(publicKey: [0xff] + [UInt8](repeating: 0xff, count: 29) + [0xfe, 0x7f]))
        try HPKE.validate(publicKey: pair.publicKey)
    }

    @Test func smallOrderPublicKeysAreRefused() throws {
        // u = 0 and u = 1 are points of small order (RFC 7748 section 6.1; libsodium's blocklist).
        let zero = [UInt8](repeating: 0, count: 32)
        let one = [UInt8]([1] + [UInt8](repeating: 0, count: 31))
        for key in [zero, one] {
            let error = #expect(throws: HPKEError.self) { try HPKE.validate(publicKey: key) }
            #expect(error?.code == .invalidPublicKey)
        }
        #expect(throws: HPKEError.self) { _ = try HPKE.seal(publicKey: zero, info: [], aad: [], plaintext: [1]) }
        try HPKE.validate(publicKey: RFC9180A2.pkRm)
        #expect(throws: HPKEError.self) { try HPKE.validate(publicKey: Array(RFC9180A2.pkRm.prefix(31))) }
    }
}
