import AWSCore
import Foundation
import Logging
import SecretsManager

/// Performs one task's operation with a Secrets Manager client and shapes the spec's result object.
struct OperationRunner: Sendable {
    let client: SecretsManagerClient
    let task: DelegateTask
    let logger: Logger
    /// The named connectors' read cache (section 14); nil: none.
    var cache: SecretCache? = nil

    /// Performs the operation; a write also makes the read cache forget its secret, whatever
    /// the outcome (a write that timed out may still have happened).
    func run() async throws(AWSError) -> OperationOutcome {
        if let cache, task.operation.writesSecret, let secret = task.operation.secret {
            defer { cache.invalidate(region: task.connector.region, name: secret.fullName) }
            return try await perform()
        }
        return try await perform()
    }

    private func perform() async throws(AWSError) -> OperationOutcome {
        switch task.operation {
        case .createSecret(let params):
            let response = try await client.createSecret(
                .init(name: params.secret.name, value: params.value, description: params.description,
                      kmsKeyId: params.kmsKeyId, tags: params.tags),
                taskID: task.id, logger: logger)
            let output = response.value
            return outcome(["name": name(output.name), "arn": .string(output.arn), "versionId": optional(output.versionId)], response.attempts)

        case .getSecretValue(let params):
            return try await getSecretValue(params)

        case .putSecretValue(let params):
            let response = try await client.putSecretValue(
                name: params.secret.name, value: params.value, versionStages: params.versionStages, taskID: task.id, logger: logger)
            let output = response.value
            return outcome(
                ["name": name(output.name), "arn": .string(output.arn), "versionId": optional(output.versionId), "versionStages": strings(output.versionStages)],
                response.attempts)

        case .updateSecret(let params):
            let response = try await client.updateSecret(
                name: params.secret.name, value: params.value, description: params.description, kmsKeyId: params.kmsKeyId,
                taskID: task.id, logger: logger)
            let output = response.value
            var object: [String: JSONValue] = ["name": name(output.name), "arn": .string(output.arn)]
            if let version = output.versionId { object["versionId"] = .string(version) }
            return outcome(object, response.attempts)

        case .describeSecret(let params):
            let response = try await client.describeSecret(name: params.secret.name, logger: logger)
            let output = response.value
            let tags = (output.tags ?? []).map { JSONValue.object(["key": .string($0.key), "value": .string($0.value)]) }
            let stages = (output.versionIdsToStages ?? [:]).mapValues { JSONValue.array($0.map(JSONValue.string)) }
            return outcome(
                [
                    "name": name(output.name), "arn": .string(output.arn), "description": optional(output.description),
                    "kmsKeyId": optional(output.kmsKeyId), "rotationEnabled": .bool(output.rotationEnabled ?? false),
                    "lastChangedDate": date(output.lastChangedDate), "deletedDate": date(output.deletedDate),
                    "tags": .array(tags), "versionIdsToStages": .object(stages),
                ], response.attempts)

        case .deleteSecret(let params):
            let recovery: SecretsManagerClient.DeletionRecovery =
                switch params.recovery {
                case .defaultWindow: .defaultWindow
                case .window(let days): .days(days)
                case .forceWithoutRecovery: .none
                }
            let response = try await client.deleteSecret(name: params.secret.name, recovery: recovery, logger: logger)
            let output = response.value
            return outcome(["name": name(output.name), "arn": .string(output.arn), "deletionDate": date(output.deletionDate)], response.attempts)

        case .listSecrets(let params):
            let response = try await client.listSecrets(
                nameFilter: params.nameFilter, maxResults: params.maxResults, nextToken: params.nextToken, allPages: params.all, logger: logger)
            let secrets = response.value.secretList.map { entry in
                JSONValue.object([
                    "name": name(entry.name), "fullName": .string(entry.name), "arn": .string(entry.arn),
                    "description": optional(entry.description), "lastChangedDate": date(entry.lastChangedDate),
                ])
            }
            var object: [String: JSONValue] = ["secrets": .array(secrets)]
            if let token = response.value.nextToken { object["nextToken"] = .string(token) }
            return outcome(object, response.attempts)

        case .listSecretVersionIds(let params):
            let response = try await client.listSecretVersionIds(
                name: params.secret.name, includeDeprecated: params.includeDeprecated, maxResults: params.maxResults,
                nextToken: params.nextToken, logger: logger)
            let versions = response.value.versions.map { version in
                JSONValue.object([
                    "versionId": .string(version.versionId), "versionStages": strings(version.versionStages),
                    "createdDate": date(version.createdDate),
                ])
            }
            var object: [String: JSONValue] = ["versions": .array(versions)]
            if let token = response.value.nextToken { object["nextToken"] = .string(token) }
            return outcome(object, response.attempts)

        case .getRandomPassword(let params):
            let response = try await client.getRandomPassword(
                .init(
                    passwordLength: params.passwordLength, excludeCharacters: params.excludeCharacters,
                    excludeNumbers: params.excludeNumbers, excludePunctuation: params.excludePunctuation,
                    excludeUppercase: params.excludeUppercase, excludeLowercase: params.excludeLowercase,
                    includeSpace: params.includeSpace, requireEachIncludedType: params.requireEachIncludedType),
                logger: logger)
            return outcome(["randomPassword": .string(response.value.randomPassword)], response.attempts)

        case .testConnection:
            return try await ConnectionTest(client: client, taskID: task.id, logger: logger).run()
        }
    }

    func outcome(_ object: [String: JSONValue], _ attempts: Int) -> OperationOutcome {
        OperationOutcome(value: .object(object), attempts: attempts)
    }

    /// Result names are relative to the connector's prefix.
    func name(_ fullName: String) -> JSONValue {
        .string(client.namespace.relativeName(for: fullName))
    }
}

func optional(_ value: String?) -> JSONValue {
    value.map(JSONValue.string) ?? .null
}

func strings(_ values: [String]?) -> JSONValue {
    .array((values ?? []).map(JSONValue.string))
}

func date(_ value: Date?) -> JSONValue {
    value.map { .string(Timestamp.format($0)) } ?? .null
}
