import AWSCore
import Foundation
import JSON
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

@testable import Delegate

/// `OperationRunner` on a `SecretsManagerClient` over a `ScriptedHTTPClient`: what each
/// operation sends, how it shapes the result, and retries (which do not wait: the sleeper only
/// records its delays).
@Suite struct OperationRunnerTests {
    let http = ScriptedHTTPClient()
    let sleeper = RecordingSleeper()
    let logger = Logger(label: "operation-runner", factory: { _ in SwiftLogNoOpLogHandler() })

    func runner(_ task: DelegateTask) -> OperationRunner {
        let aws = AWSClient(
            endpoint: AWSServiceEndpoint(
                signingName: "secretsmanager", region: "us-east-1", url: ScriptedExecutorFixture.endpoint),
            options: AWSClientOptions(maxAttempts: 3), httpClient: http, clock: ManualClock(), sleeper: sleeper,
            jitter: { 0.5 })
        let credentials = StaticCredentialProvider(
            Credentials(accessKeyId: ScriptedExecutorFixture.accessKeyID, secretAccessKey: "runner-test-key-unused"))
        return OperationRunner(
            client: SecretsManagerClient(aws: aws, credentials: credentials, namePrefix: "devops"),
            principal: .accessKey(id: ScriptedExecutorFixture.accessKeyID), task: task, logger: logger)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var operation: String
        var params: JSONValue?
        var action: String
        /// Fields the request body must hold (as JSON text of their values).
        var body: [String: String]
        /// Fields the request body must hold as `true`.
        var flags: [String] = []
        var reply: [String: any Sendable]
        var testDescription: String { operation }
    }

    static let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db-AbCdEf"

    static let cases: [Case] = [
        Case(
            operation: "getSecretValue", params: ["name": "db", "versionStage": "AWSPREVIOUS"],
            action: "GetSecretValue",
            body: ["SecretId": "devops/db", "VersionStage": "AWSPREVIOUS"],
            reply: ["ARN": arn, "Name": "devops/db", "SecretString": "not-a-secret", "VersionId": "v1"]),
        Case(
            operation: "describeSecret", params: ["name": "db"], action: "DescribeSecret",
            body: ["SecretId": "devops/db"], reply: ["ARN": arn, "Name": "devops/db"]),
        Case(
            operation: "putSecretValue", params: ["name": "db", "secretString": "not-a-secret"],
            action: "PutSecretValue", body: ["SecretId": "devops/db", "SecretString": "not-a-secret"],
            reply: ["ARN": arn, "Name": "devops/db", "VersionId": "v2"]),
        Case(
            operation: "deleteSecret", params: ["name": "db", "forceDeleteWithoutRecovery": true],
            action: "DeleteSecret", body: ["SecretId": "devops/db"], flags: ["ForceDeleteWithoutRecovery"],
            reply: ["ARN": arn, "Name": "devops/db"]),
        Case(
            operation: "getRandomPassword", params: nil, action: "GetRandomPassword", body: [:],
            reply: ["RandomPassword": "made-up-password"]),
    ]

    @Test(arguments: cases)
    func eachOperationSendsItsActionAndBodyOnceSigned(_ check: Case) async throws {
        http.always(.target("secretsmanager.\(check.action)"), .json(check.reply.mapValues { $0 as Any }))
        let task = try ScriptedExecutorFixture.task(check.operation, params: check.params)
        let outcome = try await runner(task).run()

        #expect(outcome.attempts == 1)
        #expect(outcome.failure == nil)
        let sent = try #require(http.requests.first)
        #expect(http.requests.count == 1)
        #expect(sent.method == "POST")
        #expect(sent.host == "secretsmanager.test")
        #expect(sent.target == "secretsmanager.\(check.action)")
        #expect(sent.headers["Content-Type"] == "application/x-amz-json-1.1")
        #expect(sent.isSigned(by: ScriptedExecutorFixture.accessKeyID))
        let body = try #require(sent.json, "the body is a JSON object")
        for (field, expected) in check.body {
            #expect(body[field] as? String == expected, "\(field)")
        }
        for flag in check.flags {
            #expect(body[flag] as? Bool == true, "\(flag)")
        }
        guard case .object(let result) = outcome.value else {
            Issue.record("the result is a JSON object: \(String(describing: outcome.value))")
            return
        }
        if check.action == "GetRandomPassword" {
            #expect(result["name"] == nil)
        } else {
            #expect(result["name"] == "db", "result names are relative to the prefix")
        }
    }

    @Test func aWriteCarriesAnIdempotencyTokenDerivedFromTheTask() async throws {
        http.always(.any, .json(["ARN": Self.arn, "Name": "devops/db", "VersionId": "v2"]))
        let put = try ScriptedExecutorFixture.task(
            "putSecretValue", params: ["name": "db", "secretString": "not-a-secret"], id: "put-1")
        _ = try await runner(put).run()
        _ = try await runner(put).run()
        let other = try ScriptedExecutorFixture.task(
            "putSecretValue", params: ["name": "db", "secretString": "not-a-secret"], id: "put-2")
        _ = try await runner(other).run()
        // A value is never part of a token (AWS shows it as the version's id); the same id with
        // another value sends the same token, which AWS refuses rather than change a version.
        let reused = try ScriptedExecutorFixture.task(
            "putSecretValue", params: ["name": "db", "secretString": "not-a-secret-either"], id: "put-1")
        _ = try await runner(reused).run()
        let restaged = try ScriptedExecutorFixture.task(
            "putSecretValue", params: ["name": "db", "secretString": "not-a-secret", "versionStages": ["NEXT"]],
            id: "put-1")
        _ = try await runner(restaged).run()

        let tokens = http.requests.map { $0.json?["ClientRequestToken"] as? String }
        #expect(tokens.count == 5)
        #expect(tokens.allSatisfy { $0 != nil })
        #expect(tokens[0] == tokens[1], "the same task repeated sends the same token")
        #expect(tokens[0] != tokens[2], "another task sends another token")
        #expect(tokens[0] == tokens[3], "the value is not in the token")
        #expect(tokens[0] != tokens[4], "other version stages under the same task id send another token")
        #expect(Set(tokens).count == 3)
    }

    @Test func aServerErrorAndAThrottleAreRetriedThenTheAnswerIsUsed() async throws {
        http.script(
            ScriptedExecutorFixture.getSecretValue, .awsError("InternalServiceError", status: 500),
            .awsError("ThrottlingException"), ScriptedExecutorFixture.secret())
        let task = try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"])
        let outcome = try await runner(task).run()

        #expect(outcome.attempts == 3)
        #expect(sleeper.delays.withLock { $0.count } == 2, "one backoff before each retry")
        let sent = http.requests
        #expect(sent.count == 3)
        #expect(Set(sent.map(\.bodyText)).count == 1, "every attempt sends the same body")
        #expect(sent.allSatisfy { $0.isSigned(by: ScriptedExecutorFixture.accessKeyID) })
        guard case .object(let result) = outcome.value else {
            Issue.record("no result object")
            return
        }
        #expect(result["secretString"] == "not-a-secret")
    }

    @Test func aRefusalIsThrownWithItsRequestIdAfterOneAttempt() async throws {
        http.always(.any, .awsError("ResourceNotFoundException", requestId: "req-refused"))
        let task = try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "absent"])
        var thrown: AWSError?
        do {
            _ = try await runner(task).run()
        } catch {
            thrown = error
        }
        let error = try #require(thrown)
        #expect(errorCode(error) == "ResourceNotFoundException")
        #expect(error.kind == .service)
        #expect(error.requestId == "req-refused")
        #expect(error.attempts == 1)
        #expect(!error.retryable)
        #expect(http.requests.count == 1, "a refusal is not retried")
        #expect(sleeper.delays.withLock { $0.isEmpty })
    }
}
