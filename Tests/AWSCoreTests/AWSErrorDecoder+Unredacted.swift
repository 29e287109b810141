import HTTP

@testable import AWSCore

extension AWSErrorDecoder {
    /// For tests of the decoding alone, with no secret to take out. Production code passes the
    /// client's redactor: the parameter has no default, so none can forget it.
    static func decode(_ response: HTTPResponse, wireProtocol: AWSCall.WireProtocol) -> AWSError {
        decode(response, wireProtocol: wireProtocol, redactor: MessageRedactor(secrets: []))
    }
}
