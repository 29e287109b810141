import AWSCore
import SecretsManager
import JSON

extension OperationName {
    public static let putSecretValue = OperationName(declaring: "putSecretValue")
}

extension TaskOperation {
    public static func putSecretValue(_ params: PutSecretValueParams) -> TaskOperation { TaskOperation(params) }
}

/// `putSecretValue`: a new version of an existing secret.
public struct PutSecretValueParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue
    public let versionStages: [String]?
}

extension PutSecretValueParams: DelegateOperation {
    static let name = OperationName.putSecretValue
    static let allowedParams: [String] = ["name", "secretString", "secretBinary", "versionStages"]
    static let writesSecret = true
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> PutSecretValueParams {
        guard let value = try params.secretValue() else {
            throw .invalid("params.secretString or params.secretBinary is required for putSecretValue")
        }
        return PutSecretValueParams(secret: try params.secret(), value: value, versionStages: try params.versionStages())
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.putSecretValue(
            name: secret.name, value: value, versionStages: versionStages, taskID: runner.task.id,
            logger: runner.logger)
        let output = response.value
        return runner.outcome(
            [
                "name": runner.name(output.name), "arn": .string(output.arn), "versionId": optional(output.versionId),
                "versionStages": strings(output.versionStages),
            ],
            response.attempts)
    }
}
