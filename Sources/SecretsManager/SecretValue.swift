import AWSCore
import FoundationEssentials

/// A secret's value: text or bytes, as Secrets Manager keeps them.
///
/// Deliberately not `CustomStringConvertible`-friendly: its description never shows the value,
/// so interpolating one into a log line leaks nothing.
public enum SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case string(String)
    case binary(Data)

    /// Secrets Manager's limit on one version's value.
    public static let maximumBytes = 65_536

    public var byteCount: Int {
        switch self {
        case .string(let text): text.utf8.count
        case .binary(let data): data.count
        }
    }

    public var description: String {
        switch self {
        case .string: "SecretValue.string(<redacted \(byteCount) bytes>)"
        case .binary: "SecretValue.binary(<redacted \(byteCount) bytes>)"
        }
    }

    public var debugDescription: String { description }

    func validateSize() throws(AWSError) {
        guard byteCount <= Self.maximumBytes else {
            throw AWSError.validation(
                .invalidTask,
                "the secret value is \(byteCount) bytes; AWS Secrets Manager accepts at most \(Self.maximumBytes)"
            )
        }
    }
}
