import AWSCore
import AWSCredentials
import Foundation
import JSON
import Logging
import SecretsManager
import HTTP
import SigV4
import TestSupport

@testable import Delegate

/// Unit tests of execution without libcurl or sockets: a `ScriptedHTTPClient` plays Secrets
/// Manager at `https://secretsmanager.test`, the connector's `instanceRole` credentials come from
/// a made-up environment identity, and the wall clock is stepped by hand.
struct ScriptedExecutorFixture {
    static let endpoint = "https://secretsmanager.test"
    static let accessKeyID = "AKIDSCRIPTEDTEST"

    let http = ScriptedHTTPClient()
    let clock = ManualClock()
    let executor: TaskExecutor
    let logger = Logger(label: "scripted-executor", factory: { _ in SwiftLogNoOpLogHandler() })

    init(maxAttempts: Int = 3, endpoint: String = Self.endpoint) {
        executor = Self.executor(
            http: http, clock: clock, endpoint: endpoint, maxAttempts: maxAttempts, accessKeyID: Self.accessKeyID,
            delegateName: "scripted")
    }

    /// A dispatcher for delegate `delegateName` (no tags, untagged tasks accepted, one slot) whose
    /// executor answers from a fake Secrets Manager: for the spool intake's tests.
    static func spoolDispatcher(delegateName: String, accessKeyID: String) -> TaskDispatcher {
        dispatcher(http: FakeSecretsManager(), delegateName: delegateName, accessKeyID: accessKeyID)
    }

    /// A dispatcher for delegate `delegateName` (`tags`, untagged tasks accepted, one slot) whose
    /// executor makes one attempt per call, every call to `http` at `endpoint`.
    static func dispatcher(
        http: any HTTPClient, delegateName: String = "d", accessKeyID: String, tags: [String] = [],
        endpoint: String = "http://secretsmanager.test", clock: any WallClock = ManualClock()
    ) -> TaskDispatcher {
        TaskDispatcher(
            executor: executor(
                http: http, clock: clock, endpoint: endpoint, maxAttempts: 1, accessKeyID: accessKeyID,
                delegateName: delegateName),
            selection: SelectionPolicy(name: delegateName, tags: tags, acceptUntagged: true), concurrency: 1,
            clock: clock, status: DelegateStatus(startedAt: Date()))
    }

    /// A `TaskExecutor` whose every call goes to `http`; the delegate's identity (for
    /// `instanceRole` connectors) comes from a made-up environment with `accessKeyID`.
    static func executor(
        http: any HTTPClient, clock: any WallClock, endpoint: String, maxAttempts: Int, accessKeyID: String,
        delegateName: String, cache: SecretCache? = nil, credentialDirectories: [String] = []
    ) -> TaskExecutor {
        executor(
            http: http, clock: clock, endpoint: endpoint, maxAttempts: maxAttempts, delegateName: delegateName,
            cache: cache,
            credentials: credentials(
                http: http, clock: clock, endpoint: endpoint, maxAttempts: maxAttempts, accessKeyID: accessKeyID,
                delegateName: delegateName, credentialDirectories: credentialDirectories))
    }

    /// A `TaskExecutor` whose every call goes to `http`, with `credentials`.
    static func executor(
        http: any HTTPClient, clock: any WallClock, endpoint: String, maxAttempts: Int, delegateName: String,
        cache: SecretCache?, credentials: CredentialProviderRegistry
    ) -> TaskExecutor {
        TaskExecutor(
            delegateName: delegateName,
            clients: clientPool(http: http, clock: clock, endpoint: endpoint, maxAttempts: maxAttempts),
            credentials: credentials, clock: clock, cache: cache)
    }

    /// Credentials whose STS calls go to `http`; the delegate's identity comes from a made-up
    /// environment with `accessKeyID`.
    static func credentials(
        http: any HTTPClient, clock: any WallClock, endpoint: String, maxAttempts: Int, accessKeyID: String,
        delegateName: String, credentialDirectories: [String] = []
    ) -> CredentialProviderRegistry {
        let pool = clientPool(http: http, clock: clock, endpoint: endpoint, maxAttempts: maxAttempts)
        let environment = [
            "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": "\(delegateName)-test-key-unused",
        ]
        return CredentialProviderRegistry(
            identity: IdentityProvider(
                sources: [.environment], environment: environment,
                imds: IMDSCredentialSource(http: http, endpoint: "http://127.0.0.1:9", clock: clock), clock: clock),
            refStore: CredentialRefStore(directories: credentialDirectories, clock: clock), delegateName: delegateName,
            clock: clock,
            stsClient: { pool.sts(region: $0) })
    }

    private static func clientPool(
        http: any HTTPClient, clock: any WallClock, endpoint: String, maxAttempts: Int
    ) -> AWSClientPool {
        AWSClientPool(
            settings: .init(secretsManagerEndpoint: endpoint, options: .init(maxAttempts: maxAttempts)),
            http: http, clock: clock)
    }

    /// A task for the `instanceRole` connector `scripted` (prefix `devops`, us-east-1).
    static func task(
        _ operation: String, params: JSONValue? = nil, deadline: Int = 60, id: String = "scripted-task"
    ) throws -> DelegateTask {
        let data = TaskFixtures.task(operation: operation, params: params) { fields in
            fields["id"] = .string(id)
            fields["deadlineSeconds"] = .number(Double(deadline))
            fields["connector"] = [
                "id": "scripted", "region": "us-east-1", "secretNamePrefix": "devops",
                "credentials": ["type": "instanceRole"],
            ]
        }
        return try DelegateTask.decode(data, defaultID: nil)
    }

    func run(_ task: DelegateTask) async -> TaskResult {
        await executor.run(task, receivedAt: clock.now(), waited: .zero, logger: logger)
    }

    /// A GetSecretValue answer for `devops/<name>` (a made-up value, not a secret).
    static func secret(_ name: String = "db", value: String = "not-a-secret") -> ScriptedReply {
        .json([
            "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/\(name)-AbCdEf",
            "Name": "devops/\(name)", "VersionId": "v1", "SecretString": value, "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1_700_000_000,
        ])
    }

    static let getSecretValue = HTTPRequestMatch.target("secretsmanager.GetSecretValue")
}

/// The result's error code as text. Codes are compared through this one place, so a typed code
/// (`AWSError.code`, `TaskFailure.code`) changes only it.
func errorCode(_ result: TaskResult) -> String? {
    result.error.map { "\($0.code)" }
}

/// The same for a thrown `AWSError`.
func errorCode(_ error: AWSError?) -> String? {
    error.map { "\($0.code)" }
}

extension SentRequest {
    /// Whether the request carries a SigV4 `Authorization` for `accessKeyID` in us-east-1 for
    /// Secrets Manager. A Bool, so a failed expectation never prints the signature.
    func isSigned(by accessKeyID: String) -> Bool {
        guard let authorization = headers["Authorization"] else { return false }
        return authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=\(accessKeyID)/")
            && authorization.contains("/us-east-1/secretsmanager/aws4_request")
    }
}
