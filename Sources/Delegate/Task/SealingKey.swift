import FoundationEssentials
import JSON
import Sealing

/// The X25519 public key a task's result is sealed to (`sealTo`, docs/INTERFACE.md section 13):
/// 32 bytes, checked to be usable (canonical, not a small-order point) when the task is decoded, so a bad
/// key is refused before any AWS call rather than after a write has happened.
public struct SealingKey: Sendable, Equatable {
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    /// The key whose standard base64 (with padding) is `base64`.
    ///
    /// - Throws: `invalidLength` unless it is base64 of 32 bytes, `invalidPublicKey` for a
    ///   small-order point or an encoding that is not canonical, `openSSL` if this host's OpenSSL cannot do X25519 at all.
    public init(base64: String) throws(HPKEError) {
        guard let data = Data(base64Encoded: base64), data.count == HPKE.keyByteCount else {
            throw HPKEError(code: .invalidLength, message: "not the base64 of 32 bytes")
        }
        try self.init(publicKey: Array(data))
    }

    /// The raw key `publicKey`, checked as ``init(base64:)`` checks it.
    public init(publicKey: [UInt8]) throws(HPKEError) {
        try HPKE.validate(publicKey: publicKey)
        self.publicKey = publicKey
    }

    public var base64: String { Data(publicKey).base64EncodedString() }
}

extension DelegateTask {
    /// `sealTo`, if the task has one. A `null` is refused, not read as absent: it is what a
    /// producer's unset variable makes of a key, and the result it asked to seal would go out in the clear.
    static func decodeSealTo(_ task: TaskObject) throws(TaskProblem) -> SealingKey? {
        if case .null? = task.fields["sealTo"] {
            throw .invalid("sealTo is null: a task that names sealTo must give a key (is the producer's variable unset?)")
        }
        guard let text = try task.optionalString("sealTo") else { return nil }
        do {
            return try SealingKey(base64: text)
        } catch where error.code == .invalidPublicKey {
            throw .invalid("sealTo is not a usable X25519 public key: \(error.message)")
        } catch where error.code == .openSSL {
            // Refused before any AWS call, so that no write happens whose result would be withheld.
            throw TaskProblem(
                code: .sealingFailed, message: "this delegate cannot seal results: its OpenSSL failed (\(error.message))")
        } catch {
            throw .invalid("sealTo must be the base64 of a 32-byte X25519 public key (as keygen prints)")
        }
    }
}
