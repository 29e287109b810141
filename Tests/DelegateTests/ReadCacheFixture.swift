import AWSCore
import AWSCredentials
import HTTP
import Foundation
import JSON
import Logging
import Synchronization
import TestSupport

@testable import Delegate

/// A `TaskExecutor` with the read cache over `FakeSecretsManager`, a clock the test steps, and
/// named connectors `cached` and `other` (both caching, prefix `devops`), `plain` (no cache),
/// `assumed` (caching, through STS AssumeRole: ``answerAssumeRole(expiringIn:)``) and `keyed`
/// (caching, an access key whose id and secret key are the files `keyed-id` and `keyed-secret`
/// of `credentialsDirectory`).
struct ReadCacheFixture {
    let fake = FakeSecretsManager()
    let clock = ManualClock()
    let cache: SecretCache
    let executor: TaskExecutor
    /// The executor's credentials (a test replaces the delegate's identity in it).
    let credentials: CredentialProviderRegistry
    let connectors: [String: NamedConnector]
    let logger = Logger(label: "read-cache-test")

    init(ttl: Int = 60, stale: Int = 0, credentialsDirectory: String? = nil) {
        cache = SecretCache(clock: clock)
        credentials = ScriptedExecutorFixture.credentials(
            http: fake, clock: clock, endpoint: "http://secretsmanager.test", maxAttempts: 1,
            accessKeyID: "AKIDREADCACHETEST", delegateName: "cache-test",
            credentialDirectories: credentialsDirectory.map { [$0] } ?? [])
        executor = ScriptedExecutorFixture.executor(
            http: fake, clock: clock, endpoint: "http://secretsmanager.test", maxAttempts: 1,
            delegateName: "cache-test", cache: cache, credentials: credentials)
        var connectors: [String: NamedConnector] = [:]
        for (id, cacheTTL) in [("cached", ttl), ("other", ttl), ("plain", 0)] {
            connectors[id] = NamedConnector(
                connector: Connector(
                    id: id, region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: [],
                    credentials: .instanceRole),
                policy: ConnectorPolicy(cacheTTLSeconds: cacheTTL, cacheStaleSeconds: stale),
                origin: "[connectors.\(id)]")
        }
        connectors["assumed"] = NamedConnector(
            connector: Connector(
                id: "assumed", region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: [],
                credentials: .assumeRole(
                    AssumeRoleCredentials(
                        roleARN: "arn:aws:iam::123456789012:role/sm", externalID: nil, durationSeconds: 900))),
            policy: ConnectorPolicy(cacheTTLSeconds: ttl, cacheStaleSeconds: stale),
            origin: "[connectors.assumed]")
        connectors["keyed"] = NamedConnector(
            connector: Connector(
                id: "keyed", region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: [],
                credentials: .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .ref("keyed-id"), secretAccessKeyRef: "keyed-secret", sessionTokenRef: nil))),
            policy: ConnectorPolicy(cacheTTLSeconds: ttl, cacheStaleSeconds: stale),
            origin: "[connectors.keyed]")
        self.connectors = connectors
        cache.update(connectors: connectors)
    }

    static let sts = HTTPRequestMatch.host("sts.us-east-1.amazonaws.com")

    /// STS answers every AssumeRole with a session expiring `seconds` from the clock's now.
    func answerAssumeRole(expiringIn seconds: TimeInterval) {
        let expiration = ISO8601DateFormatter().string(from: clock.now().addingTimeInterval(seconds))
        let body = """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>\
            <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/sm/s</Arn></AssumedRoleUser>\
            <Credentials><AccessKeyId>ASIAREADCACHE</AccessKeyId><SecretAccessKey>read-cache-test-key</SecretAccessKey>\
            <SessionToken>read-cache-test-token</SessionToken><Expiration>\(expiration)</Expiration></Credentials>\
            </AssumeRoleResult><ResponseMetadata><RequestId>req-sts</RequestId></ResponseMetadata></AssumeRoleResponse>
            """
        fake.http.always(
            Self.sts, .response(HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Data(body.utf8)))
        )
    }

    static let inline: JSONValue = [
        "id": "inline", "region": "us-east-1", "secretNamePrefix": "devops", "credentials": ["type": "instanceRole"],
    ]

    /// Runs one task through the executor (logging to `logger`, the fixture's when nil).
    func run(
        _ connector: JSONValue = "cached", operation: String = "getSecretValue", params: JSONValue = ["name": "db"],
        logger: Logger? = nil
    ) async throws -> TaskResult {
        let fields: JSONObject = [
            "id": .string("t-\(UUID().uuidString.prefix(8))"), "connector": connector, "operation": .string(operation),
            "params": params,
        ]
        let task = try DelegateTask.decode(
            Data(JSONValue.object(fields).jsonText.utf8), defaultID: nil, connectors: connectors)
        return await executor.run(task, receivedAt: clock.now(), waited: .zero, logger: logger ?? self.logger)
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
