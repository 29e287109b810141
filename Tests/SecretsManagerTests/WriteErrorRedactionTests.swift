import AWSCore
import Foundation
import HTTP
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

/// A write's secret value never reaches an error message, even when the answer quotes it (a
/// validation message, a proxy echoing the request): as sent, and as a JSON string spells it.
@Suite struct WriteErrorRedactionTests {
    let logger = Logger(label: "test.write-redaction")

    /// A client whose every answer is a 400 ValidationException quoting the request's
    /// `SecretString` (raw and as the request body spelled it) and `SecretBinary`.
    func client() -> SecretsManagerClient {
        let http = ScriptedHTTPClient(fallback: { request throws(HTTPClientError) in
            let body = String(decoding: request.body, as: UTF8.self)
            let json = SentRequest(request).json
            let quoted = [json?["SecretString"] as? String, json?["SecretBinary"] as? String].compactMap { $0 }
            let message = "Value '\(quoted.joined(separator: "' and '"))' is refused; the request was \(body)"
            return .awsError("ValidationException", status: 400, message: message, requestId: "req-echo")
        })
        return scriptedSecretsManager(http, accessKeyID: "AKIDREDACTTEST", secretAccessKey: "redact-test-secret")
    }

    @Test(arguments: [
        SecretValue.string("hunter2-canary"), .string("line\n\"quoted\"-canary/x"), .binary(Data("binary-canary".utf8)),
        // Its base64 holds slashes, which the request's JSON spells \/.
        .binary(Data([0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xBF, 0x00, 0x11, 0x22])),
    ])
    func aQuotedValueIsRedactedFromEveryWrite(value: SecretValue) async throws {
        let sm = client()
        let forms: [String] =
            switch value {
            case .string(let text):
                [text, text.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\"", with: "\\\"")]
            case .binary(let data):
                [data.base64EncodedString(), data.base64EncodedString().replacingOccurrences(of: "/", with: "\\/")]
            }
        let writes: [(String, () async throws -> Void)] = [
            ("put", { _ = try await sm.putSecretValue(name: "app", value: value, taskID: "t-1", logger: logger) }),
            ("create", { _ = try await sm.createSecret(.init(name: "app", value: value), taskID: "t-1", logger: logger) }),
            ("update", { _ = try await sm.updateSecret(name: "app", value: value, taskID: "t-1", logger: logger) }),
        ]
        for (name, write) in writes {
            do {
                try await write()
                Issue.record("\(name): the scripted refusal was not thrown")
            } catch let error as AWSError {
                #expect(error.code.rawValue == "ValidationException", "\(name): \(error)")
                #expect(error.message.contains("<redacted>"), "\(name): \(error.message)")
                for form in forms { #expect(!error.message.contains(form), "\(name): \(error.message)") }
            }
        }
    }

    /// A successful answer that cannot be read fails the task quoting its request id: an endpoint
    /// that echoes the value written, or the request's signature, as the id has it dropped, as an
    /// error answer's is. An id holding neither is kept.
    static func requestID(echoing: String, from request: HTTPRequest) -> String {
        if echoing == "value" { return "rid-" + (SentRequest(request).json?["SecretString"] as? String ?? "") }
        if echoing == "signature" {
            return (request.headers["Authorization"] ?? "").components(separatedBy: "Signature=").last ?? ""
        }
        return "1f2e3d4c-aaaa-bbbb-cccc-0123456789ab"
    }

    @Test(arguments: ["value", "signature", "neither"])
    func aRequestIDOfAnUnreadableAnswerHoldingASecretIsDropped(echoing: String) async throws {
        let http = ScriptedHTTPClient(fallback: { request throws(HTTPClientError) in
            .awsJSON("not json", status: 200, requestId: Self.requestID(echoing: echoing, from: request))
        })
        let sm = scriptedSecretsManager(http, accessKeyID: "AKIDREDACTTEST", secretAccessKey: "redact-test-secret")
        var thrown: AWSError?
        do {
            _ = try await sm.putSecretValue(name: "app", value: .string("hunter2-canary"), taskID: "t-1", logger: logger)
        } catch {
            thrown = error
        }
        let error = try #require(thrown, "an answer that is not JSON was taken")
        #expect(error.code.rawValue == "InvalidResponse", "\(error)")
        let expected: String? = echoing == "neither" ? "1f2e3d4c-aaaa-bbbb-cccc-0123456789ab" : nil
        #expect(error.requestId == expected)
        #expect(!"\(error)".contains("hunter2-canary"))
        #expect(http.requests.count == 1)
    }
}
