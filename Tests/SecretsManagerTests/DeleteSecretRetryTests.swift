import AWSCore
import Foundation
import HTTP
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

/// `DeleteSecret` has no idempotency token: a retry after an attempt whose answer was lost can be
/// refused because that attempt already scheduled the deletion.
@Suite struct DeleteSecretRetryTests {
    let logger = Logger(label: "test.delete-retry")

    func client(_ http: ScriptedHTTPClient) -> SecretsManagerClient {
        let aws = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: "http://sm.test"),
            httpClient: http, sleeper: RecordingSleeper(), jitter: { 0 })
        let credentials = StaticCredentialProvider(
            Credentials(accessKeyId: "AKIDDELETETEST", secretAccessKey: "delete-test-secret"))
        return SecretsManagerClient(aws: aws, credentials: credentials, namePrefix: "team")
    }

    static let scheduled = ScriptedReply.json(
        ["ARN": "arn:aws:secretsmanager:us-east-1:1:secret:team/app-AbCd", "Name": "team/app", "DeletedDate": 1_800_000_000],
        requestId: "req-describe")

    /// The retry's "marked deleted" refusal is confirmed with DescribeSecret and reported as the
    /// deletion it was, with the date it is scheduled for.
    @Test func aRetryRefusedBecauseAnEarlierAttemptDeletedIsADeletion() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"), .transport(.connectionClosed),
            .awsError("InvalidRequestException", message: "You can't perform this operation on the secret because it was marked for deletion."))
        http.script(.target("secretsmanager.DescribeSecret"), Self.scheduled)

        let deleted = try await client(http).deleteSecret(name: "app", logger: logger)

        #expect(deleted.value.name == "team/app")
        #expect(deleted.value.arn.hasSuffix(":secret:team/app-AbCd"))
        #expect(deleted.value.deletionDate == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(deleted.attempts == 3)
    }

    /// Not retried, the same refusal is the answer (the secret was deleted before this task), and
    /// so is a retried refusal DescribeSecret does not confirm.
    @Test func anUnretriedOrUnconfirmedRefusalIsReported() async throws {
        let first = ScriptedHTTPClient()
        first.script(.target("secretsmanager.DeleteSecret"), .awsError("InvalidRequestException", message: "marked for deletion"))
        first.script(.target("secretsmanager.DescribeSecret"), Self.scheduled)
        let once = await #expect(throws: AWSError.self) { try await client(first).deleteSecret(name: "app", logger: logger) }
        #expect(once?.code.rawValue == "InvalidRequestException")
        #expect(first.requests.count == 1)

        let unconfirmed = ScriptedHTTPClient()
        unconfirmed.script(
            .target("secretsmanager.DeleteSecret"), .transport(.connectionClosed),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        unconfirmed.script(
            .target("secretsmanager.DescribeSecret"),
            .json(["ARN": "arn:aws:secretsmanager:us-east-1:1:secret:team/app-AbCd", "Name": "team/app"]))
        let retried = await #expect(throws: AWSError.self) {
            try await client(unconfirmed).deleteSecret(name: "app", logger: logger)
        }
        #expect(retried?.code.rawValue == "InvalidRequestException")
        #expect(retried?.attempts == 2)
    }
}
