import AWSCore
import JSON
import SecretsManager

extension OperationName {
    public static let listSecrets = OperationName(declaring: "listSecrets")
}

extension TaskOperation {
    public static func listSecrets(_ params: ListSecretsParams) -> TaskOperation { TaskOperation(params) }
}

/// `listSecrets`: the secrets under the connector's prefix.
public struct ListSecretsParams: Sendable, Equatable {
    /// Relative to the connector's prefix; the client adds the prefix.
    public let nameFilter: String?
    public let maxResults: Int?
    public let nextToken: String?
    /// Follow every page.
    public let all: Bool
}

extension ListSecretsParams: DelegateOperation {
    static let name = OperationName.listSecrets
    static let allowedParams: [String] = ["nameFilter", "maxResults", "nextToken", "all"]
    static let writesSecret = false
    var namedSecret: SecretReference? { nil }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> ListSecretsParams {
        let filter = try params.optionalString("nameFilter")
        if let filter {
            // A `!` as managed secrets' names have one (`rds!db-`), but never first: to AWS a
            // leading `!` negates the filter.
            guard (1...SecretReference.maximumNameLength).contains(filter.utf8.count),
                filter.unicodeScalars.allSatisfy({ SecretReference.isNameCharacter($0) || $0 == SecretReference.managedNameMark }),
                filter.unicodeScalars.first != SecretReference.managedNameMark
            else {
                throw .invalid(
                    "params.nameFilter must be 1-512 characters of A-Za-z0-9/_+=.@- and '!' (not first; it is relative to the prefix)")
            }
        }
        return ListSecretsParams(
            nameFilter: filter, maxResults: try params.optionalInt("maxResults", range: 1...SecretsManagerClient.maximumPageEntries),
            nextToken: try params.optionalString("nextToken", length: 1...SecretsManagerClient.maximumTokenLength),
            all: try params.optionalBool("all") ?? false)
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.listSecrets(
            nameFilter: nameFilter, maxResults: maxResults, nextToken: nextToken, allPages: all, logger: runner.logger)
        let secrets = response.value.secretList.map { entry in
            JSONValue.object([
                "name": runner.name(entry.name), "fullName": .string(entry.name), "arn": .string(entry.arn),
                "description": optional(entry.description), "lastChangedDate": date(entry.lastChangedDate),
            ])
        }
        var object: JSONObject = ["secrets": .array(secrets)]
        if let token = response.value.nextToken { object["nextToken"] = .string(token) }
        return runner.outcome(object, response.attempts)
    }
}
