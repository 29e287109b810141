import AWSCore
import SecretsManager
import JSON

extension OperationName {
    public static let deleteSecret = OperationName(declaring: "deleteSecret")
}

extension TaskOperation {
    public static func deleteSecret(_ params: DeleteSecretParams) -> TaskOperation { TaskOperation(params) }
}

/// `deleteSecret`: after a recovery window, or at once.
public struct DeleteSecretParams: Sendable, Equatable {
    public enum Recovery: Sendable, Equatable {
        /// AWS's default recovery window (30 days).
        case defaultWindow
        /// `recoveryWindowInDays`, 7-30.
        case window(days: Int)
        /// `forceDeleteWithoutRecovery: true`.
        case forceWithoutRecovery
    }

    public let secret: SecretReference
    public let recovery: Recovery

    public static let recoveryWindowRange = 7...30
}

extension DeleteSecretParams: DelegateOperation {
    static let name = OperationName.deleteSecret
    static let allowedParams: [String] = ["name", "recoveryWindowInDays", "forceDeleteWithoutRecovery"]
    static let writesSecret = true
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> DeleteSecretParams {
        let secret = try params.secret()
        let window = try params.optionalInt("recoveryWindowInDays", range: recoveryWindowRange)
        let force = try params.optionalBool("forceDeleteWithoutRecovery") ?? false
        let recovery: Recovery
        switch (window, force) {
        case (.some, true):
            throw .invalid("give either params.recoveryWindowInDays or params.forceDeleteWithoutRecovery, not both")
        case (.some(let days), false): recovery = .window(days: days)
        case (.none, true): recovery = .forceWithoutRecovery
        case (.none, false): recovery = .defaultWindow
        }
        return DeleteSecretParams(secret: secret, recovery: recovery)
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let recovery: SecretsManagerClient.DeletionRecovery =
            switch self.recovery {
            case .defaultWindow: .defaultWindow
            case .window(let days): .days(days)
            case .forceWithoutRecovery: .none
            }
        let response = try await runner.client.deleteSecret(
            name: secret.name, recovery: recovery, earlierRunSince: runner.task.earlierRunSince, logger: runner.logger)
        let output = response.value
        return runner.outcome(
            ["name": runner.name(output.name), "arn": .string(output.arn), "deletionDate": date(output.deletionDate)],
            response.attempts)
    }
}
