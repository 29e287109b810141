import AWSCore
import SecretsManager

extension OperationRunner {
    /// `getSecretValue`: the whole value, or one field of a JSON secret for `name#key`; through
    /// the read cache for a named connector with `cache_ttl_seconds` > 0.
    func getSecretValue(_ params: GetSecretValueParams) async throws(AWSError) -> OperationOutcome {
        let read = try await read(params)
        let output = read.output
        var result: OperationOutcome
        if let key = params.secret.jsonKey {
            let field = try SecretsManagerClient.field(
                key, of: output, name: params.secret.name, requestId: read.requestId, attempts: read.attempts)
            result = outcome(
                [
                    "name": .string("\(params.secret.name)#\(key)"), "arn": .string(output.arn),
                    "versionId": optional(output.versionId), "versionStages": strings(output.versionStages),
                    "value": .string(field.fieldValue), "createdDate": date(output.createdDate),
                ], read.attempts)
        } else {
            var object: [String: JSONValue] = [
                "name": name(output.name), "arn": .string(output.arn), "versionId": optional(output.versionId),
                "versionStages": strings(output.versionStages), "createdDate": date(output.createdDate),
            ]
            if let text = output.secretString { object["secretString"] = .string(text) }
            if let bytes = output.secretBinary { object["secretBinary"] = .string(bytes.base64EncodedString()) }
            result = outcome(object, read.attempts)
        }
        result.cached = read.cached
        result.stale = read.stale
        return result
    }

    private func read(_ params: GetSecretValueParams) async throws(AWSError) -> CachedSecretRead.Answer {
        guard let cache, let policy = task.connectorPolicy, policy.cacheTTLSeconds > 0 else {
            let response = try await client.getSecretValue(
                name: params.secret.name, versionId: params.versionId, versionStage: params.versionStage,
                logger: logger)
            return .init(output: response.value, requestId: response.requestId, attempts: response.attempts)
        }
        let key = SecretCacheKey(
            connectorID: task.connector.id, region: task.connector.region, fullName: params.secret.fullName,
            versionId: params.versionId, versionStage: params.versionStage)
        return try await CachedSecretRead(
            cache: cache, client: client, key: key,
            connector: NamedConnector(connector: task.connector, policy: policy, origin: ""), name: params.secret.name,
            versionId: params.versionId, versionStage: params.versionStage, refresh: params.refresh, logger: logger
        ).run()
    }
}
