import AWSCore
import Foundation
import TestSupport
import JSON
import Testing

@testable import Delegate

/// `TaskExecutor` over a `ScriptedHTTPClient`: results, the mapping of AWS errors to result
/// codes, retries, the deadline and cancellation. No libcurl, no sockets.
@Suite struct TaskExecutorTests {
    @Test func aSucceededTaskSentOneSignedCallAndReportsTheRelativeName() async throws {
        let fixture = ScriptedExecutorFixture()
        fixture.http.always(ScriptedExecutorFixture.getSecretValue, ScriptedExecutorFixture.secret())
        let result = await fixture.run(try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"]))

        #expect(result.status == .succeeded)
        #expect(result.attempts == 1)
        #expect(result.error == nil)
        #expect(result.secretText == "not-a-secret")
        #expect(result.delegate == "scripted")
        #expect(result.connectorId == "scripted")
        guard case .object(let object)? = result.result else {
            Issue.record("no result object")
            return
        }
        #expect(object["name"] == "db")
        let sent = try #require(fixture.http.requests.first)
        #expect(fixture.http.requests.count == 1)
        #expect(sent.json?["SecretId"] as? String == "devops/db")
        #expect(sent.isSigned(by: ScriptedExecutorFixture.accessKeyID), "signed with the delegate's identity")
    }

    /// A Secrets Manager endpoint override whose host names a region serves that region's
    /// secrets only: a task of another region is rejected before any call (AWS would refuse the
    /// signature, or another region's secret would be read); one of the same region runs.
    @Test func anEndpointOverrideOfAnotherRegionRejectsTheTaskBeforeAnyCall() async throws {
        let elsewhere = ScriptedExecutorFixture(endpoint: "https://vpce-0abc-1.secretsmanager.eu-west-1.vpce.amazonaws.com")
        elsewhere.http.always(.any, ScriptedExecutorFixture.secret())
        let refused = await elsewhere.run(try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"]))
        #expect(refused.status == .rejected)
        #expect(errorCode(refused) == "InvalidTask")
        #expect(
            refused.error?.message.contains(
                "(vpce-0abc-1.secretsmanager.eu-west-1.vpce.amazonaws.com) is Secrets Manager in eu-west-1, which serves "
                    + "that region's secrets only, and the connector is in us-east-1") == true, "\(refused.error?.message ?? "")")
        #expect(elsewhere.http.requests.isEmpty)

        let same = ScriptedExecutorFixture(endpoint: "https://secretsmanager-fips.us-east-1.amazonaws.com")
        same.http.always(.any, ScriptedExecutorFixture.secret())
        let ran = await same.run(try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"]))
        #expect(ran.status == .succeeded, "\(ran.error?.message ?? "")")
    }

    struct Mapping: Sendable, CustomTestStringConvertible {
        var reply: ScriptedReply
        var code: String
        var retryable: Bool
        var requestId: String?
        var testDescription: String { code }
    }

    static let mappings: [Mapping] = [
        Mapping(
            reply: .awsError("ResourceNotFoundException", requestId: "req-404"), code: "ResourceNotFoundException",
            retryable: false, requestId: "req-404"),
        Mapping(
            reply: .awsError("AccessDeniedException", requestId: "req-403"), code: "AccessDeniedException",
            retryable: false, requestId: "req-403"),
        Mapping(reply: .transport(.couldNotConnect), code: "EndpointUnreachable", retryable: true),
        Mapping(reply: .transport(.cancelled), code: "DelegateStopping", retryable: true),
    ]

    @Test(arguments: mappings)
    func anAWSErrorBecomesAFailedResultWithItsCode(_ mapping: Mapping) async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 1)
        fixture.http.always(.any, mapping.reply)
        let result = await fixture.run(try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"]))

        #expect(result.status == .failed)
        #expect(errorCode(result) == mapping.code)
        #expect(result.error?.retryable == mapping.retryable)
        #expect(result.error?.awsRequestId == mapping.requestId)
        #expect(result.result == nil)
        #expect(fixture.http.requests.count == 1)
    }

    @Test func aServerErrorIsRetriedAndTheResultCountsBothAttempts() async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 3)
        fixture.http.script(
            ScriptedExecutorFixture.getSecretValue, .awsError("InternalServiceError", status: 500),
            ScriptedExecutorFixture.secret())
        let result = await fixture.run(try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"]))

        #expect(result.status == .succeeded)
        #expect(result.attempts == 2)
        #expect(result.secretText == "not-a-secret")
        #expect(fixture.http.requests.count == 2)
    }

    @Test func aCallPastTheDeadlineIsCutOffAndReportsItsAttempt() async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 1)
        fixture.http.always(.any, .hang)
        let result = await fixture.run(
            try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"], deadline: 1))

        #expect(result.status == .failed)
        #expect(errorCode(result) == "DeadlineExceeded")
        #expect(result.error?.retryable == true)
        #expect(result.attempts == 1)
        #expect(fixture.http.requests.count == 1)
        #expect(fixture.http.inFlight == 0, "the transfer was cancelled, nothing keeps running")
    }

    /// testConnection cut off by its deadline, while creating its dummy or reading it back, fails
    /// with DeadlineExceeded: a call cut off says nothing about what the credentials may do, so it
    /// is never a test that succeeded with `canRead: false`, nor one ended by a stop.
    @Test func aConnectionTestCutOffByItsDeadlineFailsAsSuch() async throws {
        let created = ScriptedReply.json([
            "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/dummy-AbCdEf", "Name": "prod/dummy",
            "VersionId": "v1",
        ])
        for hangsAt in ["secretsmanager.CreateSecret", "secretsmanager.GetSecretValue"] {
            let fixture = ScriptedExecutorFixture(maxAttempts: 1)
            fixture.http.always(.target(hangsAt), .hang)
            fixture.http.always(.target("secretsmanager.CreateSecret"), created)
            fixture.http.always(.any, .json([:]))
            let result = await fixture.run(try ScriptedExecutorFixture.task("testConnection", params: [:], deadline: 1))
            #expect(result.status == .failed, "\(hangsAt): \(result.jsonLine)")
            #expect(errorCode(result) == "DeadlineExceeded", "\(hangsAt)")
            #expect(result.result == nil)
            #expect(result.attempts == (hangsAt.hasSuffix("CreateSecret") ? 1 : 2), "\(hangsAt)")
        }
    }

    /// A connection test whose credentials cannot be had here (a ref that names no file) fails
    /// with a result as when STS or IMDS fail it: no check, nothing allowed, nothing sent.
    @Test func aConnectionTestWithoutItsCredentialsHasAnEmptyChecksList() async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 1)
        fixture.http.always(.any, .json([:]))
        let data = TaskFixtures.task(operation: "testConnection", params: [:]) { fields in
            fields["connector"] = [
                "id": "scripted", "region": "us-east-1", "secretNamePrefix": "devops",
                "credentials": ["type": "accessKey", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKeyRef": "no-such-ref"],
            ]
        }
        let result = await fixture.run(try DelegateTask.decode(data, defaultID: nil))
        #expect(result.status == .failed, "\(result.jsonLine)")
        #expect(errorCode(result) == "CredentialsUnavailable", "\(result.jsonLine)")
        #expect(result.result?["checks"] == .array([]), "\(result.jsonLine)")
        #expect(result.result?["canRead"] == .bool(false) && result.result?["canWrite"] == .bool(false))
        #expect(fixture.http.requests.isEmpty)
    }

    /// A write cut off while its request was on its way says the write may have been made (a
    /// read does not, nor a write whose deadline passed before anything was sent).
    @Test func aWriteCutOffOnItsWaySaysItMayHaveBeenMade() async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 1)
        fixture.http.always(.any, .hang)
        let write = await fixture.run(
            try ScriptedExecutorFixture.task(
                "putSecretValue", params: ["name": "db", "secretString": "not-a-secret"], deadline: 1))
        #expect(errorCode(write) == "DeadlineExceeded")
        #expect(write.error?.message.contains("may have been made") == true, "\(String(describing: write.error))")
        #expect(write.error?.message.contains("not-a-secret") == false)
        let read = await fixture.run(
            try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"], deadline: 1))
        #expect(read.error?.message.contains("may have been made") == false)
        // A deletion carries no token: a rerun is not promised to succeed.
        let deletion = await fixture.run(
            try ScriptedExecutorFixture.task("deleteSecret", params: ["name": "db"], deadline: 1))
        #expect(deletion.error?.message.contains("the deletion was under way and may have been made") == true)
        #expect(deletion.error?.message.contains("running the task again is safe") == false)
    }

    /// A write whose last attempt may have reached AWS (its answer lost to a timeout, or a 2xx
    /// that could not be read) says the write may have been made too, not only one the deadline
    /// cut off; a write never sent (no connection) or refused (4xx), and a read, do not.
    @Test(arguments: [
        ("putSecretValue", ScriptedReply.transport(.timedOut), true),
        ("putSecretValue", ScriptedReply.json("<html>"), true),
        ("putSecretValue", ScriptedReply.awsError("InternalServiceError", status: 500), true),
        ("deleteSecret", ScriptedReply.transport(.timedOut), true),
        ("putSecretValue", ScriptedReply.transport(.couldNotConnect), false),
        ("putSecretValue", ScriptedReply.awsError("ValidationException"), false),
        ("getSecretValue", ScriptedReply.transport(.timedOut), false),
    ])
    func aWriteWhoseLastAttemptMayHaveArrivedSaysItMayHaveBeenMade(
        operation: String, reply: ScriptedReply, mayHaveBeenMade: Bool
    ) async throws {
        let fixture = ScriptedExecutorFixture(maxAttempts: 1)
        fixture.http.always(.any, reply)
        let params: JSONValue = operation == "putSecretValue" ? ["name": "db", "secretString": "not-a-secret"] : ["name": "db"]
        let result = await fixture.run(try ScriptedExecutorFixture.task(operation, params: params))
        #expect(result.status == .failed, "\(result.jsonLine)")
        #expect(result.error?.message.contains("may have been made") == mayHaveBeenMade, "\(result.jsonLine)")
        #expect(result.error?.message.contains("not-a-secret") == false)
    }

    /// Every record of a task says whether its connector was a configured one or the task's own
    /// (`CONNECTOR_KIND`): an inline connector may use a configured connector's id, and its use
    /// must not read as that connector's in the journal.
    @Test func theRecordsOfATaskSayWhetherItsConnectorIsNamedOrInline() async throws {
        let fixture = ScriptedExecutorFixture()
        fixture.http.always(.any, ScriptedExecutorFixture.secret())
        let recorder = LogRecorder()
        let inline = try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"])
        _ = await fixture.executor.run(inline, receivedAt: fixture.clock.now(), waited: .zero, logger: recorder.logger())
        let named = NamedConnector(connector: inline.connector, policy: ConnectorPolicy(), origin: "[connectors.c]")
        let task = try DelegateTask.decode(
            ConnectorPolicyTests.task(connector: .string(named.id)), defaultID: nil, connectors: [named.id: named])
        _ = await fixture.executor.run(task, receivedAt: fixture.clock.now(), waited: .zero, logger: recorder.logger())
        let records = recorder.records.filter { $0.contains("connector_id=") }
        #expect(records.contains { $0.contains("task_id=\(inline.id)") && $0.contains("connector_kind=inline") }, "\(records)")
        #expect(records.contains { $0.contains("task_id=t-1") && $0.contains("connector_kind=named") }, "\(records)")
    }

    @Test func aTaskWhoseDeadlinePassedBeforeItStartedIsNeverSent() async throws {
        let fixture = ScriptedExecutorFixture()
        fixture.http.always(.any, ScriptedExecutorFixture.secret())
        let task = try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"], deadline: 60)
        let receivedAt = fixture.clock.now().addingTimeInterval(-90)
        let result = await fixture.executor.run(task, receivedAt: receivedAt, waited: .seconds(90), logger: fixture.logger)

        #expect(result.status == .failed)
        #expect(errorCode(result) == "DeadlineExceeded")
        #expect(result.attempts == 0)
        #expect(result.error?.message.contains("nothing was sent") == true)
        #expect(result.receivedAt == receivedAt)
        #expect(fixture.http.requests.isEmpty)
    }

    @Test func aCancelledTaskIsReportedAsTheDelegateStopping() async throws {
        let fixture = ScriptedExecutorFixture()
        fixture.http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let task = try ScriptedExecutorFixture.task("getSecretValue", params: ["name": "db"])
        let running = Task { await fixture.run(task) }
        #expect(await eventually { fixture.http.holding == 1 })
        running.cancel()
        let result = await running.value

        #expect(result.status == .failed)
        #expect(errorCode(result) == "DelegateStopping")
        #expect(result.error?.retryable == true)
        #expect(result.result == nil)
        #expect(fixture.http.holding == 0)
        #expect(fixture.http.requests.count == 1, "a cancelled call is not retried")
    }
}
