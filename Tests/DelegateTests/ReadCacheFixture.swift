import AWSCore
import AWSCredentials
import Foundation
import JSON
import Logging
import Synchronization
import TestSupport

@testable import Delegate

/// A `TaskExecutor` with the read cache over `FakeSecretsManager`, a clock the test steps, and
/// named connectors `cached` and `other` (both caching, prefix `devops`) and `plain` (no cache).
struct ReadCacheFixture {
    let fake = FakeSecretsManager()
    let clock = ManualClock()
    let cache: SecretCache
    let executor: TaskExecutor
    let connectors: [String: NamedConnector]
    let logger = Logger(label: "read-cache-test")

    init(ttl: Int = 60, stale: Int = 0) {
        cache = SecretCache(clock: clock)
        executor = ScriptedExecutorFixture.executor(
            http: fake, clock: clock, endpoint: "http://secretsmanager.test", maxAttempts: 1,
            accessKeyID: "AKIDREADCACHETEST", delegateName: "cache-test", cache: cache)
        var connectors: [String: NamedConnector] = [:]
        for (id, cacheTTL) in [("cached", ttl), ("other", ttl), ("plain", 0)] {
            connectors[id] = NamedConnector(
                connector: Connector(
                    id: id, region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: [],
                    credentials: .instanceRole),
                policy: ConnectorPolicy(cacheTTLSeconds: cacheTTL, cacheStaleSeconds: stale),
                origin: "[connectors.\(id)]")
        }
        self.connectors = connectors
        cache.update(connectors: connectors)
    }

    static let inline: JSONValue = [
        "id": "inline", "region": "us-east-1", "secretNamePrefix": "devops", "credentials": ["type": "instanceRole"],
    ]

    /// Runs one task through the executor.
    func run(
        _ connector: JSONValue = "cached", operation: String = "getSecretValue", params: JSONValue = ["name": "db"]
    ) async throws -> TaskResult {
        let fields: JSONObject = [
            "id": .string("t-\(UUID().uuidString.prefix(8))"), "connector": connector, "operation": .string(operation),
            "params": params,
        ]
        let task = try DelegateTask.decode(
            Data(JSONValue.object(fields).jsonText.utf8), defaultID: nil, connectors: connectors)
        return await executor.run(task, receivedAt: clock.now(), logger: logger)
    }
}

extension TaskResult {
    /// `result.secretString`, `result.value` (for `#key`), or nil.
    var secretText: String? {
        guard case .object(let object)? = result else { return nil }
        if case .string(let text)? = object["secretString"] { return text }
        if case .string(let text)? = object["value"] { return text }
        return nil
    }
}
