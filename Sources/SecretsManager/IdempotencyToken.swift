import AWSCore
import SigV4

/// `ClientRequestToken`s derived from the task, so that running a task again (after a crash, or
/// a retry after a lost response) makes AWS treat the write as the same request instead of
/// creating a second version.
public enum IdempotencyToken {
    /// A UUID-shaped token (36 characters, within AWS's 32-64) from a SHA-256 of what identifies
    /// the write: the task id, the operation, the secret, and the version stages when the task
    /// names any (so a task id used again to move other stages makes its write). Never the value:
    /// AWS keeps the token as the version's id, which whoever may list versions sees, and a
    /// digest of a short value could be guessed from it. A task id used again with another value
    /// is refused by AWS (a version's value never changes). Without stages the token is what
    /// earlier releases derived, so a task one of them ran is not written twice by a rerun after
    /// an upgrade.
    /// - Throws: ``AWSError`` (`SigningFailed`) if OpenSSL fails: a token from a failed digest would
    ///   be the same for every write.
    public static func derive(
        taskID: String, operation: String, secret: String, versionStages: [String]? = nil
    ) throws(AWSError) -> String {
        var material = "secrets-delegate/v1\n\(operation)\n\(secret)\n\(taskID)"
        if let stages = versionStages, !stages.isEmpty {
            material += "\nstages"
            // Each stage with its length first, so no two lists read alike.
            for stage in stages { material += "\n\(stage.utf8.count):\(stage)" }
        }
        let digest: [UInt8]
        do {
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
