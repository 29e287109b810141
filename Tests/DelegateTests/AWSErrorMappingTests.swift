import AWSCore
import Foundation
import HTTP
import Testing

@testable import Delegate

/// The one table that says what an AWS failure means for the task (`TaskFailure+AWSError.swift`).
@Suite struct AWSErrorMappingTests {
    struct Row: Sendable, CustomStringConvertible {
        let kind: AWSError.Kind
        let code: AWSError.Code
        /// The result's `error.code`, as written.
        let resultCode: String
        let status: TaskResult.Status
        /// False when a spool task ending this way stays claimed and runs again.
        let isFinal: Bool
        var description: String { "\(kind) \(code)" }
    }

    static let table: [Row] = [
        Row(kind: .transport, code: .cancelled, resultCode: "DelegateStopping", status: .failed, isFinal: false),
        Row(kind: .validation, code: .invalidTask, resultCode: "InvalidTask", status: .rejected, isFinal: true),
        Row(kind: .validation, code: .invalidSecretName, resultCode: "InvalidSecretName", status: .rejected, isFinal: true),
        // An AWS answer of the same name does not make the task itself invalid.
        Row(kind: .service, code: .invalidTask, resultCode: "InvalidTask", status: .failed, isFinal: true),
        Row(kind: .validation, code: .invalidQueueURL, resultCode: "InvalidQueueUrl", status: .failed, isFinal: true),
        Row(kind: .validation, code: .signingFailed, resultCode: "SigningFailed", status: .failed, isFinal: true),
        Row(kind: .credentials, code: .credentialsUnavailable, resultCode: "CredentialsUnavailable", status: .failed, isFinal: true),
        Row(kind: .transport, code: .endpointUnreachable, resultCode: "EndpointUnreachable", status: .failed, isFinal: true),
        Row(kind: .transport, code: .deadlineExceeded, resultCode: "DeadlineExceeded", status: .failed, isFinal: true),
        Row(kind: .invalidResponse, code: .invalidResponse, resultCode: "InvalidResponse", status: .failed, isFinal: true),
        Row(kind: .service, code: .accessDeniedException, resultCode: "AccessDeniedException", status: .failed, isFinal: true),
        Row(kind: .service, code: .resourceNotFoundException, resultCode: "ResourceNotFoundException", status: .failed, isFinal: true),
        Row(kind: .service, code: .secretFieldUnavailable, resultCode: "SecretFieldUnavailable", status: .failed, isFinal: true),
    ]

    @Test(arguments: table)
    func eachCodeGivesItsResultCodeStatusAndFinality(row: Row) {
        let error = AWSError(kind: row.kind, code: row.code, message: "m", requestId: "r1", retryable: false)
        let failure = TaskFailure(error)
        #expect(failure.code.rawValue == row.resultCode)
        #expect(TaskFailure.Code(row.code).rawValue == row.resultCode)
        #expect(error.taskStatus == row.status)
        #expect(failure.isFinal == row.isFinal)
    }

    @Test func aCancelledCallIsDelegateStoppingRetryableWithoutAWSDetails() {
        let failure = TaskFailure(
            AWSError(kind: .transport, code: .cancelled, message: "the call was cancelled", requestId: "r1"))
        #expect(failure.code == .delegateStopping)
        #expect(failure.retryable)
        #expect(failure.awsRequestId == nil)
        #expect(failure.message == "the delegate stopped before the task finished; submit it again")
        #expect(!failure.isFinal)
    }

    @Test func anUnknownAWSCodePassesThroughUnchanged() {
        let error = AWSError(
            kind: .service, code: AWSError.Code(rawValue: "BrandNewFutureException"), message: "new", requestId: "r2",
            httpStatus: 400, retryable: true)
        let failure = TaskFailure(error)
        #expect(
            failure
                == TaskFailure(
                    code: TaskFailure.Code(rawValue: "BrandNewFutureException"), message: "new", retryable: true,
                    awsRequestId: "r2"))
        #expect(error.taskStatus == .failed)
        #expect(failure.isFinal)
        #expect(failure.jsonValue == .object([
            "code": .string("BrandNewFutureException"), "message": .string("new"), "retryable": .bool(true),
            "awsRequestId": .string("r2"),
        ]))
    }

    /// Every delegate code with the string results, the journal and docs/INTERFACE.md use.
    static let delegateCodes: [(TaskFailure.Code, String)] = [
        (.invalidTask, "InvalidTask"), (.invalidSecretName, "InvalidSecretName"), (.notSelected, "NotSelected"),
        (.credentialsUnavailable, "CredentialsUnavailable"), (.deadlineExceeded, "DeadlineExceeded"),
        (.endpointUnreachable, "EndpointUnreachable"), (.delegateStopping, "DelegateStopping"),
        (.sealingFailed, "SealingFailed"), (.duplicateTask, "DuplicateTask"), (.resultTooLarge, "ResultTooLarge"),
        (.notAuthorized, "NotAuthorized"), (.sealingRequired, "SealingRequired"),
        (.malformedAddress, "MalformedAddress"), (.peerNotRoot, "PeerNotRoot"), (.noMapping, "NoMapping"),
        (.noValue, "NoValue"),
    ]

    @Test(arguments: delegateCodes)
    func aDelegateCodeRoundTripsThroughItsRawValueAndJSON(code: TaskFailure.Code, raw: String) throws {
        #expect(code.rawValue == raw)
        #expect(code.description == raw)
        #expect(TaskFailure.Code(rawValue: raw) == code)
        let failure = TaskFailure(code: code, message: "m", retryable: false)
        let encoded = try JSONEncoder().encode(failure)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["code"] as? String == raw)
        #expect(try JSONDecoder().decode(TaskFailure.self, from: encoded) == failure)
    }

    @Test func delegateCodesAreDistinct() {
        #expect(Set(Self.delegateCodes.map(\.0)).count == Self.delegateCodes.count)
    }

    @Test func aRejectionKeepsItsCodeInTheResult() {
        let rejection = TaskRejection(code: .notAuthorized, message: "no", taskID: "t1")
        let result = TaskResult.rejected(rejection, delegate: "d", receivedAt: Date(), finishedAt: Date())
        #expect(result.status == .rejected)
        #expect(result.error?.code == .notAuthorized)
        #expect(result.jsonLine.contains(#""code":"NotAuthorized""#))
    }

    @Test func onlyUnreachableOrServerErrorsLetTheCacheServeStale() {
        func error(_ kind: AWSError.Kind, _ code: AWSError.Code, status: Int? = nil) -> AWSError {
            AWSError(kind: kind, code: code, message: "m", httpStatus: status)
        }
        #expect(error(.transport, .endpointUnreachable).meansUnreachable)
        // A failure that passes by itself, and one that does not (section 3's "no passing state").
        for (transport, passes) in [
            (HTTPClientError.Code.couldNotConnect, true), (.couldNotResolveHost, true), (.timedOut, true),
            (.connectionClosed, true), (.proxyFailure, true), (.tlsHandshakeFailed, true), (.proxyRefused, false),
            (.tlsFailure, false), (.invalidURL, false), (.other, false),
        ] {
            var unreachable = error(.transport, .endpointUnreachable)
            unreachable.transportError = HTTPClientError(code: transport, message: "m")
            #expect(unreachable.meansUnreachable == passes, "\(transport)")
        }
        #expect(error(.service, .serviceUnavailable, status: 503).meansUnreachable)
        #expect(!error(.transport, .cancelled).meansUnreachable)
        #expect(!error(.transport, .deadlineExceeded).meansUnreachable)
        #expect(!error(.service, .accessDeniedException, status: 400).meansUnreachable)
        #expect(!error(.credentials, .credentialsUnavailable).meansUnreachable)
        // IMDS or STS unreachable, or answering 5xx, while getting the call's credentials.
        var imds = error(.transport, .endpointUnreachable)
        imds.whileObtainingCredentials = true
        #expect(!imds.meansUnreachable)
        var sts = error(.service, .serviceUnavailable, status: 503)
        sts.whileObtainingCredentials = true
        #expect(!sts.meansUnreachable)
    }

    @Test func bothSpellingsOfAccessDeniedAreADenial() {
        #expect(AWSError(kind: .service, code: .accessDeniedException, message: "").deniesAccess)
        #expect(AWSError(kind: .service, code: .accessDenied, message: "").deniesAccess)
        #expect(!AWSError(kind: .service, code: .resourceNotFoundException, message: "").deniesAccess)
    }
}
