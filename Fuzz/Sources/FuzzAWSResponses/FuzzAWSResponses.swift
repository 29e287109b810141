import FuzzSupport
@testable import AWSCore
@testable import AWSCredentials
import Foundation
import HTTP
@testable import SecretsManager
@testable import SQS

/// What AWS and IMDS answer, through the parsers the delegate uses on them: the STS AssumeRole
/// XML (XMLScanner and Timestamp), Secrets Manager's GetSecretValue and ListSecrets answers, SQS's
/// ReceiveMessage answer (its messages' attributes read as the poller reads them), the IMDS
/// credentials JSON document, and AWS error bodies in both wire protocols. Any body gives
/// credentials, nil or an error, never a crash.

/// The redactor the client would build: a secret key, a token and a signature to take out.
private let secrets = ["fuzz-secret-key", "fuzz-session-token", "0123456789abcdef"]
private let redactor = MessageRedactor(secrets: secrets)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAWSResponses(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    _ = AssumeRoleSource.parseCredentials(data)
    // GetSecretValue's answer, read by its own one-pass reader: an output has its ARN and name.
    if let output = SecretsManagerClient.GetSecretValueOutput(json: data) {
        precondition(data.count >= output.arn.utf8.count + output.name.utf8.count)
    }
    // ListSecrets and ReceiveMessage answers, decoded as their clients decode them.
    _ = try? AWSJSONCoding.decoder.decode(SecretsManagerClient.ListSecretsOutput.self, from: data)
    if let received = try? SQSClient.decoder.decode(SQSClient.ReceiveMessageOutput.self, from: data) {
        for message in received.messages ?? [] {
            _ = (message.receiveCount, message.firstReceivedAt, message.messageAttributes.count)
        }
    }
    if let xml = XMLScanner(data) {
        _ = xml.values(of: "Code", limit: 4)
        _ = xml.element("Error")?.value(of: "Message")
    }
    // IMDS bodies reach the parser as `String(decoding:as:)` does it.
    _ = try? IMDSCredentialSource.parseCredentials(String(decoding: data, as: UTF8.self))
    // The same bytes as a request id header too, which an endpoint may fill with what it was sent.
    let echoedID = String(decoding: data.prefix(200), as: UTF8.self)
    for status in [400, 403, 500] {
        for headers in [[:], ["x-amzn-RequestId": echoedID]] as [HTTPHeaders] {
            let response = HTTPResponse(status: status, headers: headers, body: data)
            // With secrets to take out, as the client decodes every error: none of them is left
            // anywhere in what the error says (its code, message or request id).
            for wireProtocol in [AWSCall.WireProtocol.query, .json] {
                let error = AWSErrorDecoder.decode(response, wireProtocol: wireProtocol, redactor: redactor)
                let said = "\(error) \(error.code.rawValue) \(error.requestId ?? "")"
                for secret in secrets { precondition(!said.contains(secret), "a secret left in \(wireProtocol) error") }
            }
        }
    }
    return 0
}

@_cdecl("FuzzAWSResponses_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzAWSResponses)
}
