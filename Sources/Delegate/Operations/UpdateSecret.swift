import AWSCore
import JSON
import SecretsManager

extension OperationName {
    public static let updateSecret = OperationName(declaring: "updateSecret")
}

extension TaskOperation {
    public static func updateSecret(_ params: UpdateSecretParams) -> TaskOperation { TaskOperation(params) }
}

/// `updateSecret`: a new value, description or KMS key for an existing secret.
public struct UpdateSecretParams: Sendable, Equatable {
    public let secret: SecretReference
    public let value: SecretValue?
    public let description: String?
    public let kmsKeyId: String?
}

extension UpdateSecretParams: DelegateOperation {
    static let name = OperationName.updateSecret
    static let allowedParams: [String] = ["name", "secretString", "secretBinary", "description", "kmsKeyId"]
    static let writesSecret = true
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> UpdateSecretParams {
        let secret = try params.secret()
        let value = try params.secretValue()
        let description = try params.description()
        let kmsKeyId = try params.kmsKeyId()
        guard value != nil || description != nil || kmsKeyId != nil else {
            throw .invalid(
                "updateSecret needs at least one of params.secretString, params.secretBinary, "
                    + "params.description, params.kmsKeyId")
        }
        return UpdateSecretParams(secret: secret, value: value, description: description, kmsKeyId: kmsKeyId)
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.updateSecret(
            name: secret.name, value: value, description: description, kmsKeyId: kmsKeyId, taskID: runner.task.id,
            logger: runner.logger)
        let output = response.value
        var object: JSONObject = ["name": runner.name(output.name), "arn": .string(output.arn)]
        if let version = output.versionId { object["versionId"] = .string(version) }
        return runner.outcome(object, response.attempts)
    }
}
