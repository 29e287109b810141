import AWSCore
import JSON
import SecretsManager

extension OperationName {
    public static let describeSecret = OperationName(declaring: "describeSecret")
}

extension TaskOperation {
    public static func describeSecret(_ params: DescribeSecretParams) -> TaskOperation { TaskOperation(params) }
}

/// `describeSecret`: a secret's metadata, never its value.
public struct DescribeSecretParams: Sendable, Equatable {
    public let secret: SecretReference
}

extension DescribeSecretParams: DelegateOperation {
    static let name = OperationName.describeSecret
    static let allowedParams: [String] = ["name"]
    static let writesSecret = false
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> DescribeSecretParams {
        DescribeSecretParams(secret: try params.secret(allowManaged: true))
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.describeSecret(name: secret.name, logger: runner.logger)
        let output = response.value
        let tags = (output.tags ?? []).map { JSONValue.object(["key": .string($0.key), "value": .string($0.value)]) }
        let stages = (output.versionIdsToStages ?? [:]).mapValues { JSONValue.array($0.map(JSONValue.string)) }
        return runner.outcome(
            [
                "name": runner.name(output.name), "arn": .string(output.arn),
                "description": optional(output.description), "kmsKeyId": optional(output.kmsKeyId),
                "rotationEnabled": .bool(output.rotationEnabled ?? false),
                "lastChangedDate": date(output.lastChangedDate), "deletedDate": date(output.deletedDate),
                "tags": .array(tags), "versionIdsToStages": .object(JSONObject(stages)),
            ], response.attempts)
    }
}
