import HTTP
import Testing

@testable import AWSCore

/// The one mapping of "the endpoint answered, with nothing usable" that AWS's clients and IMDS
/// share: each such answer is `InvalidResponse` naming what came, and every other transport
/// failure is left to the caller (an unreachable endpoint, a cancelled call).
struct AWSErrorUnusableAnswerTests {
    private func mapped(_ code: HTTPClientError.Code) -> AWSError? {
        AWSError.unusableAnswer(
            HTTPClientError(code: code, message: "curl said so"), endpoint: "IMDS at http://[fd00:ec2::254]:80",
            maxResponseBytes: 65536, setting: "imds_endpoint's", suspect: "is imds_endpoint IMDS?")
    }

    @Test(arguments: [
        (HTTPClientError.Code.responseTooLarge, "IMDS at http://[fd00:ec2::254]:80 sent an answer larger than 65536 bytes"),
        (.responseHeadersTooLarge, "IMDS at http://[fd00:ec2::254]:80 sent \(HTTPClientError.headersLimitText) (is imds_endpoint IMDS?)"),
        (.notHTTP, "IMDS at http://[fd00:ec2::254]:80 answered with something other than HTTP; check imds_endpoint's scheme and port: curl said so"),
        (.unreadableResponse, "IMDS at http://[fd00:ec2::254]:80 answered in HTTP that could not be read (is imds_endpoint IMDS?): curl said so"),
    ])
    func anAnswerThatCameButIsUnusableIsAnInvalidResponse(code: HTTPClientError.Code, message: String) throws {
        let error = try #require(mapped(code))
        #expect(error.kind == .invalidResponse)
        #expect(error.code == .invalidResponse)
        #expect(error.message == message)
        #expect(error.retryable == false)
        #expect(error.transportError?.code == code)
    }

    @Test(arguments: [
        HTTPClientError.Code.invalidURL, .couldNotResolveHost, .couldNotConnect, .timedOut, .tlsHandshakeFailed,
        .tlsFailure, .proxyFailure, .proxyRefused, .connectionClosed, .cancelled, .other,
    ])
    func everyOtherFailureIsLeftToTheCaller(code: HTTPClientError.Code) {
        #expect(mapped(code) == nil)
    }
}
