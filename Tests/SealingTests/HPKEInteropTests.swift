import Sealing
import TestSupport
import Testing

/// Interoperability with pyhpke, an independent implementation, in both directions, with the
/// delegate's own `info` and an `aad` like a task id.
@Suite struct HPKEInteropTests {
    static let info = Array("secrets-delegate result v1".utf8)
    static let aad = Array("build-4711-db-password".utf8)
    static let plaintext = Array(#"{"name":"db#password","value":"s3cr3t \u00e9"}"#.utf8)

    @Test func sealedInSwiftOpensInPyHPKE() async throws {
        let pair = try HPKE.generateKeyPair()
        let sealed = try HPKE.seal(publicKey: pair.publicKey, info: Self.info, aad: Self.aad, plaintext: Self.plaintext)
        let opened = try await PyHPKE.open(
            privateKey: pair.privateKey, enc: sealed.enc, info: Self.info, aad: Self.aad, ciphertext: sealed.ciphertext)
        #expect(opened == Self.plaintext)
    }

    @Test func sealedInPyHPKEOpensInSwift() async throws {
        let pair = try HPKE.generateKeyPair()
        let sealed = try await PyHPKE.seal(
            publicKey: pair.publicKey, info: Self.info, aad: Self.aad, plaintext: Self.plaintext)
        let opened = try HPKE.open(
            privateKey: pair.privateKey, enc: sealed.enc, info: Self.info, aad: Self.aad, ciphertext: sealed.ciphertext)
        #expect(opened == Self.plaintext)
    }

    @Test func tamperedOrMisaddressedDoesNotOpen() async throws {
        let pair = try HPKE.generateKeyPair()
        let sealed = try await PyHPKE.seal(
            publicKey: pair.publicKey, info: Self.info, aad: Self.aad, plaintext: Self.plaintext)
        var tampered = sealed.ciphertext
        tampered[tampered.count / 2] ^= 0x04
        for (ciphertext, aad) in [(tampered, Self.aad), (sealed.ciphertext, Array("another-task".utf8))] {
            let error = #expect(throws: HPKEError.self) {
                try HPKE.open(
                    privateKey: pair.privateKey, enc: sealed.enc, info: Self.info, aad: aad, ciphertext: ciphertext)
            }
            #expect(error?.code == .authenticationFailed)
        }

        // And the other way round: pyhpke refuses what Swift sealed once it is changed.
        let ours = try HPKE.seal(publicKey: pair.publicKey, info: Self.info, aad: Self.aad, plaintext: Self.plaintext)
        var changed = ours.ciphertext
        changed[0] ^= 0x01
        #expect(
            try await PyHPKE.open(
                privateKey: pair.privateKey, enc: ours.enc, info: Self.info, aad: Self.aad, ciphertext: changed) == nil)
        #expect(
            try await PyHPKE.open(
                privateKey: pair.privateKey, enc: ours.enc, info: Self.info, aad: Array("another-task".utf8),
                ciphertext: ours.ciphertext) == nil)
    }
}
