import AWSCore
import JSON
import SecretsManager
import FoundationEssentials

extension OperationName {
    public static let getSecretValue = OperationName(declaring: "getSecretValue")
}

extension TaskOperation {
    public static func getSecretValue(_ params: GetSecretValueParams) -> TaskOperation { TaskOperation(params) }
}

/// `getSecretValue`: the whole value, or one field of a JSON secret for `name#key`; through
/// the read cache for a named connector with `cache_ttl_seconds` > 0.
public struct GetSecretValueParams: Sendable, Equatable {
    /// `secret.jsonKey` is set for `name#key`.
    public let secret: SecretReference
    public let versionId: String?
    public let versionStage: String?
    /// `"refresh": true`: a named connector's read cache is bypassed (and given the fresh value).
    public var refresh: Bool = false
}

extension GetSecretValueParams: DelegateOperation {
    static let name = OperationName.getSecretValue
    static let allowedParams: [String] = ["name", "versionId", "versionStage", "refresh"]
    static let writesSecret = false
    var namedSecret: SecretReference? { secret }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> GetSecretValueParams {
        GetSecretValueParams(
            secret: try params.secret(allowJSONKey: true, allowManaged: true),
            versionId: try params.optionalString("versionId", length: 32...64),
            versionStage: try params.optionalString("versionStage", length: 1...256),
            refresh: try params.optionalBool("refresh") ?? false)
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let read = try await read(with: runner)
        let output = read.output
        var result: OperationOutcome
        if let key = secret.jsonKey {
            let field = try SecretsManagerClient.field(
                key, of: output, name: secret.name, requestId: read.requestId, attempts: read.attempts)
            result = runner.outcome(
                [
                    "name": .string("\(runner.relativeName(output.name))#\(key)"),
                    "arn": .string(output.arn),
                    "versionId": optional(output.versionId), "versionStages": strings(output.versionStages),
                    "value": .string(field.fieldValue), "createdDate": date(output.createdDate),
                ], read.attempts)
        } else {
            // In key order, the order results are written in, with room for every member.
            var object = JSONObject(minimumCapacity: 7)
            object["arn"] = .string(output.arn)
            object["createdDate"] = date(output.createdDate)
            object["name"] = runner.name(output.name)
            if let bytes = output.secretBinary { object["secretBinary"] = .string(bytes.base64EncodedString()) }
            if let text = output.secretString { object["secretString"] = .string(text) }
            object["versionId"] = optional(output.versionId)
            object["versionStages"] = strings(output.versionStages)
            result = runner.outcome(object, read.attempts)
        }
        result.cached = read.cached
        result.stale = read.stale
        return result
    }

    private func read(with runner: OperationRunner) async throws(AWSError) -> CachedSecretRead.Answer {
        let task = runner.task
        guard let cache = runner.cache, let policy = task.connectorPolicy, policy.cacheTTLSeconds > 0 else {
            let response = try await runner.client.getSecretValue(
                name: secret.name, versionId: versionId, versionStage: versionStage, logger: runner.logger)
            return .init(output: response.value, requestId: response.requestId, attempts: response.attempts)
        }
        let key = SecretCacheKey(
            connectorID: task.connector.id, region: task.connector.region, fullName: secret.fullName,
            versionId: versionId, versionStage: versionStage)
        return try await CachedSecretRead(
            cache: cache, client: runner.client, key: key,
            connector: NamedConnector(connector: task.connector, policy: policy, origin: ""),
            principal: runner.principal, name: secret.name,
            versionId: versionId, versionStage: versionStage, refresh: refresh, logger: runner.logger
        ).run()
    }
}
