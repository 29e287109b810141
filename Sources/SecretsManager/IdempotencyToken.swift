import AWSCore
import SigV4

/// `ClientRequestToken`s derived from the task, so that running a task again (after a crash, or
/// a retry after a lost response) makes AWS treat the write as the same request instead of
/// creating a second version.
public enum IdempotencyToken {
    /// A UUID-shaped token (36 characters, within AWS's 32-64) from a SHA-256 of what identifies
    /// the write: the task id, the operation, the secret, and what is written (a digest of the
    /// value, and the version stages). A task run again sends the same token, so AWS takes it for
    /// the same request; a task id used again for other content gets a token of its own, so the
    /// write is made, not answered with the earlier version.
    /// - Throws: ``AWSError`` (`SigningFailed`) if OpenSSL fails: a token from a failed digest would
    ///   be the same for every write.
    public static func derive(
        taskID: String, operation: String, secret: String, value: SecretValue? = nil, versionStages: [String]? = nil
    ) throws(AWSError) -> String {
        var material = "secrets-delegate/v2\n\(operation)\n\(secret)\n\(taskID)\n"
        let digest: [UInt8]
        do {
            switch value {
            case .none: material += "-"
            case .string(let text): material += "s:" + Hex.encode(try SHA256Digest.hash(Array(text.utf8)))
            case .binary(let data): material += "b:" + Hex.encode(try SHA256Digest.hash(Array(data)))
            }
            // Each stage with its length first, so no two lists read alike.
            for stage in versionStages ?? [] { material += "\n\(stage.utf8.count):\(stage)" }
            digest = try SHA256Digest.hash(Array(material.utf8))
        } catch {
            throw .signing(error)
        }
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // UUID version 8: custom
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = Hex.encode(bytes)
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }
}
