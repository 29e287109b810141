import Foundation
import HTTP
import Testing

/// A request or an answer interpolated shows its shape, never a header's value or its body.
@Suite struct HTTPDescriptionTests {
    @Test func neitherHeaderValuesNorBodiesAreShown() {
        let request = HTTPRequest(
            method: "POST", url: "https://secretsmanager.us-east-1.amazonaws.com/",
            headers: ["Authorization": "AWS4-HMAC-SHA256 Signature=deadbeefsignature", "X-Amz-Security-Token": "tokenvalue"],
            body: Data(#"{"SecretString":"the-value-written"}"#.utf8))
        let response = HTTPResponse(
            status: 200, headers: ["x-amzn-RequestId": "req-1"], body: Data(#"{"SecretString":"the-value-read"}"#.utf8))
        for text in ["\(request)", String(reflecting: request), "\(response)", String(reflecting: response)] {
            for secret in ["deadbeefsignature", "tokenvalue", "the-value-written", "the-value-read", "req-1"] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
        #expect("\(request)".contains("Authorization, X-Amz-Security-Token"))
        #expect("\(response)".hasPrefix("HTTP 200"))
    }
}
