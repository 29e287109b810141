import AWSCore
import JSON
import SecretsManager

extension OperationName {
    public static let listSecretVersionIds = OperationName(declaring: "listSecretVersionIds")
}

extension TaskOperation {
    public static func listSecretVersionIds(_ params: ListSecretVersionIdsParams) -> TaskOperation {
        TaskOperation(params)
    }
}

/// `listSecretVersionIds`: a secret's versions and their stages.
public struct ListSecretVersionIdsParams: Sendable, Equatable {
    public let secret: SecretReference
    public let includeDeprecated: Bool
    public let maxResults: Int?
    public let nextToken: String?
}

extension ListSecretVersionIdsParams: DelegateOperation {
    static let name = OperationName.listSecretVersionIds
    static let allowedParams: [String] = ["name", "includeDeprecated", "maxResults", "nextToken"]
    static let writesSecret = false
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> ListSecretVersionIdsParams {
        ListSecretVersionIdsParams(
            secret: try params.secret(allowManaged: true), includeDeprecated: try params.optionalBool("includeDeprecated") ?? false,
            maxResults: try params.optionalInt("maxResults", range: 1...SecretsManagerClient.maximumPageEntries),
            nextToken: try params.optionalString("nextToken", length: 1...SecretsManagerClient.maximumTokenLength))
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.listSecretVersionIds(
            name: secret.name, includeDeprecated: includeDeprecated, maxResults: maxResults, nextToken: nextToken,
            logger: runner.logger)
        let versions = response.value.versions.map { version in
            JSONValue.object([
                "versionId": .string(version.versionId), "versionStages": strings(version.versionStages),
                "createdDate": date(version.createdDate),
            ])
        }
        var object: JSONObject = ["versions": .array(versions)]
        if let token = response.value.nextToken { object["nextToken"] = .string(token) }
        return runner.outcome(object, response.attempts)
    }
}
