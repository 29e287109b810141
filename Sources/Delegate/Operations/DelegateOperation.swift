import AWSCore
import SecretsManager

/// One operation of the spec's table: its name, the params it takes, how they are decoded and
/// checked, the Secrets Manager call it makes and the result object it shapes. Each operation is
/// one file under `Operations/`, listed once in `OperationRegistry.all`.
protocol DelegateOperation: Sendable, Equatable {
    /// The operation's name in a task's `operation` field.
    static var name: OperationName { get }
    /// The params the operation takes (anything else is refused as a likely typo).
    static var allowedParams: [String] { get }
    /// Whether the operation changes a secret, so that the read cache must forget it (section 14).
    static var writesSecret: Bool { get }
    /// The secret the operation acts on, if it names one (for logs: `SECRET_NAME`).
    var namedSecret: SecretReference? { get }

    /// Decodes and checks the params (already checked against `allowedParams`); messages never
    /// quote values.
    static func decode(_ params: OperationParams) throws(TaskProblem) -> Self

    /// Performs the operation with the runner's client and shapes the spec's result object.
    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome
}

extension DelegateOperation {
    /// Whether `other` is the same operation with the same params.
    func isEqual(to other: any DelegateOperation) -> Bool {
        (other as? Self) == self
    }
}
