import AWSCore
import AWSCredentials
import FoundationEssentials
import JSON
import Logging
import SecretsManager

/// Performs one task's operation (`DelegateOperation`) with a Secrets Manager client, and gives
/// the operation the helpers that shape the spec's result object.
struct OperationRunner: Sendable {
    let client: SecretsManagerClient
    /// Who signs the client's calls (what the read cache serves goes only to who read it).
    let principal: ResolvedCredentials.Principal
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

    /// The operation's own file makes the call and shapes the result (`Operations/`).
    private func perform() async throws(AWSError) -> OperationOutcome {
        try await task.operation.operation.run(with: self)
    }

    func outcome(_ object: JSONObject, _ attempts: Int) -> OperationOutcome {
        OperationOutcome(value: .object(object), attempts: attempts)
    }

    /// Result names are relative to the connector's prefix.
    func name(_ fullName: String) -> JSONValue {
        .string(relativeName(fullName))
    }

    func relativeName(_ fullName: String) -> String {
        client.namespace.relativeName(for: fullName)
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
