/// RFC 9180's KEM (section 4.1), labeled KDF (section 4) and key schedule (section 5.1) for the
/// suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, base mode only.
extension HPKE {
    /// `"KEM" || I2OSP(kem_id, 2)`, used inside the KEM.
    static let kemSuiteID: [UInt8] = Array("KEM".utf8) + [0x00, 0x20]
    /// `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`, used by the key schedule.
    static let suiteID: [UInt8] = Array("HPKE".utf8) + [0x00, 0x20, 0x00, 0x01, 0x00, 0x03]
    static let modeBase: UInt8 = 0x00
    private static let versionLabel = Array("HPKE-v1".utf8)

    /// The AEAD key and base nonce of one HPKE context (the exporter secret is not used).
    struct Context {
        var key: [UInt8]
        var baseNonce: [UInt8]

        /// `ComputeNonce(seq)`: the base nonce XOR the big-endian sequence number.
        func nonce(sequence: UInt64) -> [UInt8] {
            var nonce = baseNonce
            for index in 0..<8 {
                nonce[nonce.count - 1 - index] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(index)))
            }
            return nonce
        }
    }

    static func labeledExtract(salt: [UInt8], label: String, ikm: [UInt8], suiteID: [UInt8]) throws(HPKEError)
        -> [UInt8]
    {
        try HKDFSHA256.extract(salt: salt, ikm: versionLabel + suiteID + Array(label.utf8) + ikm)
    }

    static func labeledExpand(
        prk: [UInt8], label: String, info: [UInt8], length: Int, suiteID: [UInt8]
    ) throws(HPKEError) -> [UInt8] {
        let labeledInfo = i2osp2(length) + versionLabel + suiteID + Array(label.utf8) + info
        return try HKDFSHA256.expand(prk: prk, info: labeledInfo, length: length)
    }

    /// `Encap(pkR)`: the shared secret and `enc` (the ephemeral public key).
    static func encapsulate(
        publicKey: [UInt8], ephemeralKey: X25519Key
    ) throws(HPKEError) -> (sharedSecret: [UInt8], enc: [UInt8]) {
        let recipient = try X25519Key(publicKey: publicKey)
        let dh = try ephemeralKey.sharedSecret(with: recipient)
        let enc = try ephemeralKey.rawPublicKey()
        let sharedSecret = try extractAndExpand(dh: dh, kemContext: enc + recipient.rawPublicKey())
        return (sharedSecret, enc)
    }

    /// `Decap(enc, skR)`: the shared secret.
    static func decapsulate(enc: [UInt8], privateKey: X25519Key) throws(HPKEError) -> [UInt8] {
        let ephemeral = try X25519Key(publicKey: enc)
        let dh = try privateKey.sharedSecret(with: ephemeral)
        return try extractAndExpand(dh: dh, kemContext: enc + privateKey.rawPublicKey())
    }

    private static func extractAndExpand(dh: [UInt8], kemContext: [UInt8]) throws(HPKEError) -> [UInt8] {
        let eaePRK = try labeledExtract(salt: [], label: "eae_prk", ikm: dh, suiteID: kemSuiteID)
        return try labeledExpand(
            prk: eaePRK, label: "shared_secret", info: kemContext, length: X25519Key.byteCount, suiteID: kemSuiteID)
    }

    /// `KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "")`.
    static func keySchedule(sharedSecret: [UInt8], info: [UInt8]) throws(HPKEError) -> Context {
        let pskIDHash = try labeledExtract(salt: [], label: "psk_id_hash", ikm: [], suiteID: suiteID)
        let infoHash = try labeledExtract(salt: [], label: "info_hash", ikm: info, suiteID: suiteID)
        let keyScheduleContext = [modeBase] + pskIDHash + infoHash
        let secret = try labeledExtract(salt: sharedSecret, label: "secret", ikm: [], suiteID: suiteID)
        let key = try labeledExpand(
            prk: secret, label: "key", info: keyScheduleContext, length: ChaCha20Poly1305.keyByteCount,
            suiteID: suiteID)
        let baseNonce = try labeledExpand(
            prk: secret, label: "base_nonce", info: keyScheduleContext, length: ChaCha20Poly1305.nonceByteCount,
            suiteID: suiteID)
        return Context(key: key, baseNonce: baseNonce)
    }

    /// `I2OSP(value, 2)`.
    private static func i2osp2(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
