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

    /// The day of the task: `DeletedDate`s are judged against it.
    static let today = Date(timeIntervalSince1970: 1_800_000_000 - 30 * 86_400)

    func client(_ http: ScriptedHTTPClient, clock: ManualClock = ManualClock(Self.today)) -> SecretsManagerClient {
        let aws = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: "http://sm.test"),
            httpClient: http, clock: clock, sleeper: RecordingSleeper(), jitter: { 0 })
        let credentials = StaticCredentialProvider(
            Credentials(accessKeyId: "AKIDDELETETEST", secretAccessKey: "delete-test-secret"))
        return SecretsManagerClient(aws: aws, credentials: credentials, namePrefix: "team")
    }

    static let scheduled = ScriptedReply.json(
        ["ARN": "arn:aws:secretsmanager:us-east-1:1:secret:team/app-AbCd", "Name": "team/app", "DeletedDate": 1_800_000_000],
        requestId: "req-describe")

    /// DescribeSecret's answer for team/app marked deleted at `date`.
    static func marked(deletedAt date: Date) -> ScriptedReply {
        .json([
            "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:team/app-AbCd", "Name": "team/app",
            "DeletedDate": date.timeIntervalSince1970,
        ])
    }

    /// DeleteSecret refused for the host's clock (AWS's time in its `Date`), then, retried, refused
    /// as marked for deletion; DescribeSecret says the secret was marked at `deletedAt`.
    static func skewedRetry(awsTime: Date, message: String, deletedAt: Date) -> ScriptedHTTPClient {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"), skewRefusal(serverTime: awsTime, message: message),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        http.script(.target("secretsmanager.DescribeSecret"), marked(deletedAt: deletedAt))
        return http
    }

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
        // Each DeleteSecret attempt on a connection of its own, so that libcurl never sends one
        // again unasked (CurlHTTPClientTests.aFreshConnectionRequestIsNeverResentByLibcurl);
        // the DescribeSecret, which may be made twice, on any.
        let deletes = http.requests(.target("secretsmanager.DeleteSecret"))
        #expect(deletes.count == 2 && deletes.allSatisfy { $0.request.options.freshConnection })
        #expect(http.requests(.target("secretsmanager.DescribeSecret")).allSatisfy { !$0.request.options.freshConnection })
    }

    /// An earlier run of the task (claimed or received before, no result given) may have made the
    /// deletion: a first attempt's refusal is confirmed too, a deletion since then counting as
    /// the task's own, one from before that run as someone else's.
    @Test func aFirstRefusalIsConfirmedAgainstAnEarlierRun() async throws {
        func attempt(deletedAt: Date) async throws(AWSError) -> SecretsManagerResponse<SecretsManagerClient.DeleteSecretOutput> {
            let http = ScriptedHTTPClient()
            http.script(.target("secretsmanager.DeleteSecret"), .awsError("InvalidRequestException", message: "marked for deletion"))
            http.script(.target("secretsmanager.DescribeSecret"), Self.marked(deletedAt: deletedAt))
            return try await client(http).deleteSecret(
                name: "app", earlierRunSince: .host(Self.today.addingTimeInterval(-3600)), logger: logger)
        }
        let own = try await attempt(deletedAt: Self.today.addingTimeInterval(-1800))
        #expect(own.value.deletionDate == Self.today.addingTimeInterval(-1800 + 30 * 86_400))
        #expect(own.attempts == 2)
        let before = await #expect(throws: AWSError.self) { try await attempt(deletedAt: Self.today.addingTimeInterval(-7200)) }
        #expect(before?.code.rawValue == "InvalidRequestException")
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
        #expect(retried?.attempts == 3, "two DeleteSecret requests and the DescribeSecret, as a confirmed one counts")
        // Shown not to be this call's deletion: its lost first answer does not make it one that
        // may have been made.
        #expect(retried?.anAttemptMayHaveArrived == false)

        let someoneElses = ScriptedHTTPClient()
        someoneElses.script(
            .target("secretsmanager.DeleteSecret"), .awsError("InternalServiceError", status: 500),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        someoneElses.script(.target("secretsmanager.DescribeSecret"), Self.marked(deletedAt: Self.today.addingTimeInterval(-86_400)))
        let earlier = await #expect(throws: AWSError.self) {
            try await client(someoneElses).deleteSecret(name: "app", logger: logger)
        }
        #expect(earlier?.code.rawValue == "InvalidRequestException")
        #expect(earlier?.anAttemptMayHaveArrived == false)
    }

    /// A tag with no `Value` (AWS's `Tag` requires neither member) is read as empty: one such tag
    /// must not make the whole DescribeSecret answer unreadable.
    @Test func aTagWithoutAValueIsReadAsEmpty() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DescribeSecret"),
            .json(#"{"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:team/app-AbCd","Name":"team/app","Tags":[{"Key":"owner"},{"Key":"env","Value":"prod"}]}"#))
        let described = try await client(http).describeSecret(name: "app", logger: logger)
        #expect(described.value.tags == [SecretTag(key: "owner", value: ""), SecretTag(key: "env", value: "prod")])
    }

    /// AWS may mark a deleted secret with the time of the request rather than the date of the
    /// deletion: the deletion is then the recovery window later.
    @Test func aDeletedDateAtTheRequestsTimeGivesTheDeletionAWindowLater() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"), .transport(.connectionClosed),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        let requestTime = Self.today.addingTimeInterval(-2)
        http.script(.target("secretsmanager.DescribeSecret"), Self.marked(deletedAt: requestTime))
        let deleted = try await client(http).deleteSecret(name: "app", recovery: .days(7), logger: logger)
        #expect(deleted.value.deletionDate == requestTime.addingTimeInterval(7 * 86_400))
    }

    /// A secret someone else marked deleted days before this task is no deletion of this task's,
    /// even when the retry's refusal is what found it (the first attempt was throttled).
    @Test func aDeletionScheduledBeforeTheTaskIsTheRefusalItIs() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"), .awsError("ThrottlingException"),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        http.script(.target("secretsmanager.DescribeSecret"), Self.scheduled)
        let clock = ManualClock(Self.today.addingTimeInterval(3 * 86_400))
        let error = await #expect(throws: AWSError.self) {
            try await client(http, clock: clock).deleteSecret(name: "app", logger: logger)
        }
        #expect(error?.code.rawValue == "InvalidRequestException")
        #expect(http.requests.count == 3, "two DeleteSecret attempts and the DescribeSecret that did not confirm")
        #expect(error?.attempts == 3, "the result counts every request the task made")
    }

    /// A retry after AWS refused the host's clock (ten minutes fast) moves AWS's time, as the
    /// client reckons it, back past the call's start: the deletion is still confirmed as this
    /// call's (the call's span is measured on the monotonic clock and placed at AWS's time at its
    /// end), and the process does not trap on a reversed range.
    @Test func aDeletionConfirmedAfterTheClockSkewWasLearnedDuringTheCall() async throws {
        let aws = Self.today
        let http = Self.skewedRetry(awsTime: aws, message: "Signature not yet current", deletedAt: aws)
        let deleted = try await client(http, clock: ManualClock(aws.addingTimeInterval(600)))
            .deleteSecret(name: "app", recovery: .days(7), logger: logger)
        #expect(deleted.value.deletionDate == aws.addingTimeInterval(7 * 86_400))
        #expect(http.requests.count == 3)
    }

    /// An earlier run's time from SQS (AWS's clock) is taken as it is, one of this host's is moved
    /// by the skew the client learned: on a host an hour behind AWS, a deletion between the first
    /// receive and this call counts, and the same instant misread as the host's would not.
    @Test func anEarlierRunsTimeIsReadOnItsOwnClock() async throws {
        let aws = Self.today
        let hostClock = ManualClock(aws.addingTimeInterval(-3600))
        let firstReceived = aws.addingTimeInterval(-1800)
        let deletedAt = aws.addingTimeInterval(-1200)
        func attempt(_ since: ClockTime) async throws(AWSError) -> SecretsManagerResponse<SecretsManagerClient.DeleteSecretOutput> {
            let http = Self.skewedRetry(awsTime: aws, message: "Signature expired", deletedAt: deletedAt)
            return try await client(http, clock: hostClock).deleteSecret(name: "app", earlierRunSince: since, logger: logger)
        }
        #expect(try await attempt(.aws(firstReceived)).value.deletionDate == deletedAt.addingTimeInterval(30 * 86_400))
        let misread = await #expect(throws: AWSError.self) { try await attempt(.host(firstReceived)) }
        #expect(misread?.code.rawValue == "InvalidRequestException")
    }

    /// A deadline or a stop that cuts off the confirming DescribeSecret is reported as such
    /// (`Cancelled`, for the caller to say the deletion may have been made), not as the retry's
    /// "marked for deletion" refusal, which would read as someone else's deletion.
    @Test(.timeLimit(.minutes(1))) func aCancelledConfirmationIsReportedAsCancelled() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.DeleteSecret"), .transport(.connectionClosed),
            .awsError("InvalidRequestException", message: "marked for deletion"))
        http.script(.target("secretsmanager.DescribeSecret"), .hang)
        let client = client(http)
        let call = Task { () async throws(AWSError) in try await client.deleteSecret(name: "app", logger: logger) }
        #expect(await eventually { http.requests.count == 3 })
        call.cancel()
        let error = await #expect(throws: AWSError.self) { try await call.value }
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        #expect(error?.attempts == 3, "the DeleteSecret requests count: they tell the caller a deletion may have been made")
    }

    /// On a host an hour slow, the skew learned during the call does not stretch the call's span
    /// back by that hour: a deletion someone else made half an hour before the call is the
    /// refusal it is, not this call's.
    @Test func aDeletionBeforeTheCallIsNotTakenForItsOwnOnASlowHost() async throws {
        let aws = Self.today
        let http = Self.skewedRetry(awsTime: aws, message: "Signature expired", deletedAt: aws.addingTimeInterval(-1800))
        let error = await #expect(throws: AWSError.self) {
            try await client(http, clock: ManualClock(aws.addingTimeInterval(-3600)))
                .deleteSecret(name: "app", recovery: .days(7), logger: logger)
        }
        #expect(error?.code.rawValue == "InvalidRequestException")
    }

    /// AWS refusing a request signed at the wrong time: its `Date` is AWS's time.
    static func skewRefusal(serverTime: Date, message: String) -> ScriptedReply {
        .response(
            HTTPResponse(
                status: 400,
                headers: [
                    "x-amzn-ErrorType": "InvalidSignatureException", "Date": imfFixdate(serverTime),
                    "Content-Type": "application/x-amz-json-1.1",
                ],
                body: Data(#"{"message":"\#(message)"}"#.utf8)))
    }
}
