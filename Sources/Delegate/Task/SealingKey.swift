import Foundation
import Sealing

/// The X25519 public key a task's result is sealed to (`sealTo`, docs/INTERFACE.md section 13):
/// 32 bytes, checked to be usable (not a small-order point) when the task is decoded, so a bad
/// key is refused before any AWS call rather than after a write has happened.
public struct SealingKey: Sendable, Equatable {
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    /// Nil unless `base64` is standard base64 (with padding) of a usable 32-byte X25519 key.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64), data.count == HPKE.keyByteCount else { return nil }
        self.init(publicKey: Array(data))
    }

    /// Nil unless `publicKey` is a usable 32-byte X25519 key.
    public init?(publicKey: [UInt8]) {
        guard (try? HPKE.validate(publicKey: publicKey)) != nil else { return nil }
        self.publicKey = publicKey
    }

    public var base64: String { Data(publicKey).base64EncodedString() }
}

extension DelegateTask {
    /// `sealTo`, if the task has one.
    static func decodeSealTo(_ task: TaskObject) throws(TaskProblem) -> SealingKey? {
        guard let text = try task.optionalString("sealTo") else { return nil }
        guard let key = SealingKey(base64: text) else {
            throw .invalid("sealTo must be the base64 of a 32-byte X25519 public key (as keygen prints)")
        }
        return key
    }
}
