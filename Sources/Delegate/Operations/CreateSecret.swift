import AWSCore
import SecretsManager
import JSON

extension OperationName {
    public static let createSecret = OperationName(declaring: "createSecret")
}

extension TaskOperation {
    public static func createSecret(_ params: CreateSecretParams) -> TaskOperation { TaskOperation(params) }
}

/// `createSecret`: a new secret with its first value.
public struct CreateSecretParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue
    public let description: String?
    public let kmsKeyId: String?
    public let tags: [SecretTag]
}

extension CreateSecretParams: DelegateOperation {
    static let name = OperationName.createSecret
    static let allowedParams: [String] = ["name", "secretString", "secretBinary", "description", "kmsKeyId", "tags"]
    static let writesSecret = true
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> CreateSecretParams {
        guard let value = try params.secretValue() else {
            throw .invalid("params.secretString or params.secretBinary is required for createSecret")
        }
        let secret = try params.secret()
        // A new secret has a name (AWS refuses `:` in one): an ARN names only existing secrets.
        guard !SecretReference.isARN(secret.fullName) else {
            throw .secretName("params.name: createSecret takes the new secret's name, not an ARN")
        }
        return CreateSecretParams(
            secret: secret, value: value, description: try params.description(),
            kmsKeyId: try params.kmsKeyId(), tags: try params.tags())
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.createSecret(
            .init(name: secret.name, value: value, description: description, kmsKeyId: kmsKeyId, tags: tags),
            taskID: runner.task.id, logger: runner.logger)
        let output = response.value
        return runner.outcome(
            ["name": runner.name(output.name), "arn": .string(output.arn), "versionId": optional(output.versionId)],
            response.attempts)
    }
}
