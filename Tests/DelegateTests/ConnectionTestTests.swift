import AWSCore
import Foundation
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

@testable import Delegate

/// `testConnection` (`ConnectionTest`) against scripted Secrets Manager answers: which calls it
/// makes, in which order, and what it concludes.
@Suite struct ConnectionTestTests {
    let http = ScriptedHTTPClient()
    let logger = Logger(label: "connection-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let create = HTTPRequestMatch.target("secretsmanager.CreateSecret")
    static let get = HTTPRequestMatch.target("secretsmanager.GetSecretValue")
    static let delete = HTTPRequestMatch.target("secretsmanager.DeleteSecret")
    static let list = HTTPRequestMatch.target("secretsmanager.ListSecrets")
    static let dummyPrefix = "devops/secrets-delegate-test-connection-"

    func run(
        taskID: String = "test-connection-1", prefix: String = "devops", logger: Logger? = nil,
        credentials: any CredentialProvider = StaticCredentialProvider(
            Credentials(accessKeyId: ScriptedExecutorFixture.accessKeyID, secretAccessKey: "unused-test-key"))
    ) async throws -> OperationOutcome {
        let aws = AWSClient(
            endpoint: AWSServiceEndpoint(
                signingName: "secretsmanager", region: "us-east-1", url: ScriptedExecutorFixture.endpoint),
            options: AWSClientOptions(maxAttempts: 1), httpClient: http, clock: ManualClock(),
            sleeper: RecordingSleeper())
        let client = SecretsManagerClient(aws: aws, credentials: credentials, namePrefix: prefix)
        return try await ConnectionTest(client: client, taskID: taskID, logger: logger ?? self.logger).run()
    }

    /// `canRead`, `canWrite` and each check as `action:outcome`.
    struct Summary: Equatable {
        var canRead: Bool?
        var canWrite: Bool?
        var checks: [String]
    }

    func summary(_ outcome: OperationOutcome) -> Summary {
        guard case .object(let object) = outcome.value else { return Summary(checks: []) }
        func flag(_ key: String) -> Bool? {
            if case .bool(let value)? = object[key] { return value }
            return nil
        }
        var checks: [String] = []
        if case .array(let entries)? = object["checks"] {
            for case .object(let check) in entries {
                if case .string(let action)? = check["action"], case .string(let result)? = check["outcome"] {
                    checks.append("\(action):\(result)")
                }
            }
        }
        return Summary(canRead: flag("canRead"), canWrite: flag("canWrite"), checks: checks)
    }

    static func entry(_ name: String) -> [String: Any] {
        ["ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-AbCdEf", "Name": name]
    }

    /// Runs the test with the dummy read and deleted, and checks that it found the connector can
    /// read and write.
    func runReadingAndDeletingTheDummy() async throws -> OperationOutcome {
        http.always(Self.get, ScriptedExecutorFixture.secret("dummy"))
        http.always(Self.delete, .json(Self.entry("devops/dummy")))
        let outcome = try await run()
        #expect(
            summary(outcome)
                == Summary(
                    canRead: true, canWrite: true,
                    checks: ["CreateSecret:allowed", "GetSecretValue:allowed", "DeleteSecret:allowed"]))
        #expect(outcome.failure == nil)
        return outcome
    }

    @Test func aWritableConnectorCreatesReadsAndDeletesOneDummySecret() async throws {
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        let outcome = try await runReadingAndDeletingTheDummy()
        #expect(outcome.attempts == 3)
        let sent = http.requests
        #expect(sent.map(\.action) == ["CreateSecret", "GetSecretValue", "DeleteSecret"])
        let created = try #require(sent.first?.json?["Name"] as? String)
        #expect(created.hasPrefix(Self.dummyPrefix), "the dummy secret is under the prefix")
        #expect(
            sent.dropFirst().allSatisfy { $0.json?["SecretId"] as? String == created },
            "the same dummy is read and deleted")
        #expect(sent.last?.json?["ForceDeleteWithoutRecovery"] as? Bool == true, "deleted without recovery")
        #expect(sent.allSatisfy { $0.isSigned(by: ScriptedExecutorFixture.accessKeyID) })

        // The task run again (cut off before its delete, say) makes the very same CreateSecret,
        // so it finds and deletes what the first run left; another task has a dummy of its own.
        _ = try await run()
        let again = http.requests.dropFirst(3).first
        #expect(again?.json?["Name"] as? String == created)
        let value = try #require(sent.first?.json?["SecretString"] as? String)
        let token = try #require(sent.first?.json?["ClientRequestToken"] as? String)
        #expect(again?.json?["SecretString"] as? String == value)
        #expect(again?.json?["ClientRequestToken"] as? String == token)
        _ = try await run(taskID: "test-connection-2")
        let other = try #require(http.requests.dropFirst(6).first?.json?["Name"] as? String)
        #expect(other.hasPrefix(Self.dummyPrefix))
        #expect(other != created)
    }

    /// A task id used again right after a run that finished finds its dummy still being deleted
    /// (AWS refuses the name meanwhile): the test goes on with a dummy of a name of its own.
    @Test func aDummyStillBeingDeletedGivesWayToOneOfItsOwn() async throws {
        http.script(
            Self.create,
            .awsError("InvalidRequestException", message: "You can't create this secret because a secret with this name is already scheduled for deletion."),
            .json(Self.entry("devops/dummy")))
        _ = try await runReadingAndDeletingTheDummy()
        let sent = http.requests
        #expect(sent.map(\.action) == ["CreateSecret", "CreateSecret", "GetSecretValue", "DeleteSecret"])
        let first = try #require(sent.first?.json?["Name"] as? String)
        let second = try #require(sent.dropFirst().first?.json?["Name"] as? String)
        #expect(second.hasPrefix(Self.dummyPrefix))
        #expect(second != first)
        #expect(sent.dropFirst(2).allSatisfy { $0.json?["SecretId"] as? String == second }, "the new dummy is read and deleted")
        // Both names follow from the task id (SHA-256 over "secrets-delegate testConnection\n" and
        // it, halves of its hex, here by Python's hashlib): a rerun cut off on either finds it again.
        #expect(first == "devops/secrets-delegate-test-connection-70c2bbbb83a0b9ff6be97dfdf7a6a05a")
        #expect(second == "devops/secrets-delegate-test-connection-bcc1c94faf82907397d904d235643847")
    }

    /// Any other refusal of the create is the test's answer, reported after one call.
    @Test func anInvalidRequestForAnotherReasonFailsTheTest() async throws {
        http.always(Self.create, .awsError("InvalidRequestException", message: "The KMS key is disabled."))
        let outcome = try await run()
        #expect(summary(outcome) == Summary(canRead: false, canWrite: false, checks: ["CreateSecret:error"]))
        #expect(errorCode(outcome.failure) == "InvalidRequestException")
        #expect(http.requests.count == 1)
    }

    @Test func aDeniedCreateFallsBackToListingAndReportsReadOnly() async throws {
        http.always(Self.create, .awsError("AccessDeniedException"))
        http.always(Self.list, .json(["SecretList": [Self.entry("devops/app")]]))
        let outcome = try await run()

        #expect(
            summary(outcome)
                == Summary(
                    canRead: true, canWrite: false, checks: ["CreateSecret:denied", "ListSecrets:allowed"]))
        #expect(outcome.failure == nil, "a read-only connector passes the test")
        #expect(http.requests.map(\.action) == ["CreateSecret", "ListSecrets"])
        // Says what was shown, not more: listing proves nothing about reading a value.
        #expect(message(outcome).contains("whether it may read a secret's value") == true, "\(message(outcome))")
        #expect(message(outcome).contains("can read secrets") == false)
    }

    @Test func deniedCreateAndListFailTheTest() async throws {
        http.always(Self.create, .awsError("AccessDeniedException"))
        http.always(Self.list, .awsError("AccessDeniedException"))
        let outcome = try await run()

        #expect(
            summary(outcome)
                == Summary(
                    canRead: false, canWrite: false, checks: ["CreateSecret:denied", "ListSecrets:denied"]))
        #expect(errorCode(outcome.failure) == "AccessDeniedException")
        #expect(message(outcome).contains("GetSecretValue is not tried") == true, "\(message(outcome))")
    }

    /// The result's message.
    func message(_ outcome: OperationOutcome) -> String {
        guard case .object(let object) = outcome.value, case .string(let text)? = object["message"] else { return "" }
        return text
    }

    @Test func anotherCreateErrorFailsTheTestWithoutFurtherCalls() async throws {
        http.always(Self.create, .awsError("UnrecognizedClientException"))
        let outcome = try await run()

        #expect(summary(outcome) == Summary(canRead: false, canWrite: false, checks: ["CreateSecret:error"]))
        #expect(errorCode(outcome.failure) == "UnrecognizedClientException")
        #expect(http.requests.count == 1)
    }

    /// Credentials that answer AWS's refusal (STS refused the role: `AccessDenied`).
    struct RefusedCredentials: CredentialProvider {
        func credentials(logger: Logger) async throws(AWSError) -> Credentials {
            throw AWSError(
                kind: .service, code: .accessDenied, message: "the role's trust policy refused this delegate",
                httpStatus: 403, attempts: 3)
        }
    }

    @Test func credentialsRefusedFailTheTestWithNoChecksAndNoCall() async throws {
        let outcome = try await run(credentials: RefusedCredentials())

        #expect(summary(outcome) == Summary(canRead: false, canWrite: false, checks: []))
        #expect(errorCode(outcome.failure) == "AccessDenied")
        #expect(outcome.failure?.whileObtainingCredentials == true)
        #expect(http.requests.isEmpty)
        // The STS attempts are the credential source's, shared by every task waiting on it.
        #expect(outcome.attempts == 0, "no request of the task's reached AWS")
    }

    @Test func aFailedReadBackOrDeleteIsReportedButTheDummyIsStillDeleted() async throws {
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        http.always(Self.get, .awsError("AccessDeniedException"))
        http.always(Self.delete, .awsError("InternalServiceError", status: 500))
        let outcome = try await run()

        #expect(
            summary(outcome)
                == Summary(
                    canRead: false, canWrite: true,
                    checks: ["CreateSecret:allowed", "GetSecretValue:denied", "DeleteSecret:error"]))
        #expect(outcome.failure == nil)
        #expect(http.requests.map(\.action) == ["CreateSecret", "GetSecretValue", "DeleteSecret"])
    }

    /// A dummy the delete refused stays, which the booleans do not say: the message does, by
    /// name, for a person to delete.
    @Test func aDummyThatCouldNotBeDeletedIsNamedInTheMessage() async throws {
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        http.always(Self.get, .json(Self.entry("devops/dummy")))
        http.always(Self.delete, .awsError("AccessDeniedException"))
        let outcome = try await run()
        #expect(summary(outcome).checks == ["CreateSecret:allowed", "GetSecretValue:allowed", "DeleteSecret:denied"])
        guard case .object(let object) = outcome.value, case .string(let message)? = object["message"] else {
            Issue.record("no message: \(outcome.value)")
            return
        }
        #expect(message.contains("could not be deleted (denied): delete it by hand"), "\(message)")
        #expect(message.contains("its test secret devops/secrets-delegate-test-connection-"), "the name AWS knows: \(message)")
    }

    /// A prefix too long for the dummy's name (512 characters in all) is the task's to fix: refused
    /// as InvalidSecretName before any call, not a failed test naming a secret the producer never gave.
    @Test func aPrefixTooLongForTheDummyIsRefusedBeforeAnyCall() async throws {
        let error = await #expect(throws: AWSError.self) {
            try await run(prefix: String(repeating: "a", count: 450))
        }
        #expect(error?.code == .invalidSecretName)
        #expect(error?.message.contains("does not fit under this connector's secretNamePrefix") == true, "\(String(describing: error))")
        #expect(http.requests.isEmpty)
        // One that leaves room still runs the test.
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        http.always(Self.get, .json(Self.entry("devops/dummy")))
        http.always(Self.delete, .json(Self.entry("devops/dummy")))
        #expect(try await run(prefix: String(repeating: "a", count: 446)).failure == nil)
    }

    /// A read-back that failed for another reason than a refusal (an outage, throttling) says
    /// nothing of the policy: the test fails with that error, not "cannot read them back"; the
    /// dummy is still deleted.
    @Test func aReadBackFailingForAnotherReasonThanARefusalFailsTheTest() async throws {
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        http.always(Self.get, .awsError("InternalServiceError", status: 500))
        http.always(Self.delete, .json(Self.entry("devops/dummy")))
        let outcome = try await run()

        #expect(outcome.failure?.code.rawValue == "InternalServiceError", "\(String(describing: outcome.failure))")
        #expect(summary(outcome).checks == ["CreateSecret:allowed", "GetSecretValue:error", "DeleteSecret:allowed"])
        #expect(http.requests.map(\.action).last == "DeleteSecret")
    }

    /// A create cut off on its way (the task's deadline, a stop) may have made the dummy: the
    /// journal names it, as for a cut-off read-back.
    @Test func aCutOffCreateNamesTheDummyItMayHaveLeft() async throws {
        http.always(Self.create, .transport(.cancelled))
        let recorder = LogRecorder()
        let error = await #expect(throws: AWSError.self) { try await self.run(logger: recorder.logger()) }
        #expect(error?.code == .cancelled)
        let left = recorder.records.filter { $0.contains("cut off and may have left its dummy secret") }
        #expect(left.count == 1, "\(recorder.records)")
        #expect(left.first?.contains("secret_name=\(Self.dummyPrefix)") == true, "\(left)")
    }

    /// A read-back cut off (the task's deadline, a stop) ends the test with that cancellation,
    /// and the journal names the dummy left for the task's rerun to delete.
    @Test func aCutOffReadBackEndsTheTestAndNamesTheDummyLeft() async throws {
        http.always(Self.create, .json(Self.entry("devops/dummy")))
        http.always(Self.get, .transport(.cancelled))
        let recorder = LogRecorder()
        let error = await #expect(throws: AWSError.self) { try await self.run(logger: recorder.logger()) }
        #expect(error?.code == .cancelled)
        #expect(error?.attempts == 2)
        #expect(http.requests.map(\.action) == ["CreateSecret", "GetSecretValue"])
        let left = recorder.records.filter { $0.contains("cut off and left its dummy secret") }
        #expect(left.count == 1, "\(recorder.records)")
        #expect(left.first?.contains("secret_name=\(Self.dummyPrefix)") == true, "\(left)")
    }

    /// Without a prefix the dummy left is named as AWS knows it (no leading `/`, which would be
    /// another name), so that deleting it by hand as the warning says finds it.
    @Test func withoutAPrefixTheDummyLeftIsNamedAsAWSKnowsIt() async throws {
        http.always(Self.create, .json(Self.entry("dummy")))
        http.always(Self.get, .transport(.cancelled))
        let recorder = LogRecorder()
        _ = await #expect(throws: AWSError.self) { try await self.run(prefix: "", logger: recorder.logger()) }
        let left = recorder.records.filter { $0.contains("cut off and left its dummy secret") }
        #expect(left.first?.contains("secret_name=secrets-delegate-test-connection-") == true, "\(left)")
    }
}
