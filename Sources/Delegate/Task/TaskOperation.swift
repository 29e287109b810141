import SecretsManager

/// A task's operation with its typed, validated params: one of `OperationRegistry.all`
/// (each operation's file adds its constructor, e.g. `.getSecretValue(params)`).
public struct TaskOperation: Sendable, Equatable {
    let operation: any DelegateOperation

    init(_ operation: any DelegateOperation) {
        self.operation = operation
    }

    public var name: OperationName {
        type(of: operation).name
    }

    /// Whether the operation changes a secret, so that the read cache must forget it (section 14).
    public var writesSecret: Bool {
        type(of: operation).writesSecret
    }

    /// The secret the operation acts on, if it names one (for logs: `SECRET_NAME`).
    public var secret: SecretReference? {
        operation.namedSecret
    }

    /// The params if the operation is `Params`'s, else nil.
    public func params<Params: Sendable>(as _: Params.Type) -> Params? {
        operation as? Params
    }

    public static func == (lhs: TaskOperation, rhs: TaskOperation) -> Bool {
        lhs.operation.isEqual(to: rhs.operation)
    }
}
