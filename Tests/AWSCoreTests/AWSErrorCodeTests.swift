import Foundation
import HTTP
import Testing

@testable import AWSCore

@Suite struct AWSErrorCodeTests {
    /// Every named code with the string it must keep on the wire (results, journal, docs).
    static let named: [(AWSError.Code, String)] = [
        (.cancelled, "Cancelled"), (.endpointUnreachable, "EndpointUnreachable"),
        (.invalidResponse, "InvalidResponse"), (.credentialsUnavailable, "CredentialsUnavailable"),
        (.signingFailed, "SigningFailed"), (.invalidTask, "InvalidTask"), (.invalidSecretName, "InvalidSecretName"),
        (.deadlineExceeded, "DeadlineExceeded"), (.imdsTokenUnavailable, "IMDSTokenUnavailable"),
        (.instanceRoleNotFound, "InstanceRoleNotFound"), (.imdsError, "IMDSError"),
        (.secretFieldUnavailable, "SecretFieldUnavailable"), (.invalidRequest, "InvalidRequest"),
        (.invalidQueueURL, "InvalidQueueUrl"), (.accessDenied, "AccessDenied"),
        (.accessDeniedException, "AccessDeniedException"), (.expiredToken, "ExpiredToken"),
        (.expiredTokenException, "ExpiredTokenException"), (.malformedPolicyDocument, "MalformedPolicyDocument"),
        (.malformedPolicyDocumentException, "MalformedPolicyDocumentException"),
        (.regionDisabledException, "RegionDisabledException"),
        (.resourceNotFoundException, "ResourceNotFoundException"), (.invalidParameterValue, "InvalidParameterValue"),
        (.missingParameter, "MissingParameter"), (.serviceUnavailable, "ServiceUnavailable"),
        (.internalFailure, "InternalFailure"), (.tooManyRequestsException, "TooManyRequestsException"),
        (.unknownError, "UnknownError"),
    ]

    @Test(arguments: named)
    func aNamedCodeKeepsItsWireSpellingAndRoundTrips(code: AWSError.Code, raw: String) {
        #expect(code.rawValue == raw)
        #expect(code.description == raw)
        #expect(AWSError.Code(rawValue: raw) == code)
        let error = AWSError(kind: .service, code: code, message: "m", requestId: "r1")
        #expect(error.description == "\(raw): m (request id r1)")
    }

    @Test func namedCodesAreDistinct() {
        #expect(Set(Self.named.map(\.0)).count == Self.named.count)
    }

    @Test func aCodeAWSSendsThatTheDelegateDoesNotNameIsKeptAsItCame() {
        let response = HTTPResponse(
            status: 400, headers: ["x-amzn-RequestId": "req-9"],
            body: Data(#"{"__type":"com.amazonaws.secretsmanager#BrandNewFutureException","message":"new"}"#.utf8))
        let error = AWSErrorDecoder.decode(response, wireProtocol: .json)
        #expect(error.code.rawValue == "BrandNewFutureException")
        #expect(error.code == AWSError.Code(rawValue: "BrandNewFutureException"))
        #expect(!Self.named.map(\.0).contains(error.code))
        #expect(error.description == "BrandNewFutureException: new (request id req-9)")
    }

    @Test func policyListsHoldCodesAsAWSSpellsThem() {
        #expect(RetryPolicy.throttlingCodes.contains(AWSError.Code(rawValue: "ThrottlingException")))
        #expect(RetryPolicy.transientCodes.contains(.serviceUnavailable))
        #expect(ClockSkewCorrector.skewCodes.contains(AWSError.Code(rawValue: "SignatureDoesNotMatch")))
        #expect(!RetryPolicy.throttlingCodes.contains(AWSError.Code(rawValue: "throttlingexception")))
    }
}
