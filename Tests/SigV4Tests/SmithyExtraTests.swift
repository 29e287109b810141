import Foundation
import SigV4
import Testing

/// smithy-rs's two extra vectors: non-S3 services sign the wire path encoded once more.
@Suite struct SmithyExtraTests {
    static let credentials = Credentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    /// Self-consistent case (Lambda, us-east-2); the request already carries its X-Amz-Date.
    @Test func doubleURLEncode() throws {
        let folder = "v4-smithy-rs-extra/double-url-encode"
        let raw = try RawRequest(parsing: Array(Fixtures.data("\(folder)/request.txt")))
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-2", service: "lambda")

        let signed = try signer.sign(raw.sigV4Request, date: Date(timeIntervalSince1970: 1_620_747_645))

        #expect(signed.canonicalRequest == (try Fixtures.text("\(folder)/header-canonical-request.txt")))
        // Unlike aws-c-auth's files, this one ends with a newline.
        let stringToSign = try Fixtures.text("\(folder)/header-string-to-sign.txt")
        #expect(stringToSign.hasSuffix("\n"))
        #expect(signed.stringToSign == String(stringToSign.dropLast()))
        let signedRequest = try Fixtures.text("\(folder)/header-signed-request.txt")
        let authorizationLine = signedRequest.split(separator: "\n").first { $0.hasPrefix("Authorization:") }
        let expectedAuthorization = try #require(authorizationLine).dropFirst("Authorization:".count)
            .trimmingCharacters(in: .whitespaces)
        #expect(signed.authorization == expectedAuthorization)
        // X-Amz-Date was already on the request: only Authorization is added.
        #expect(signed.headersToAdd.map(\.name) == ["Authorization"])
    }

    /// Only the canonical request of this case is consistent (its files disagree on the date,
    /// see Fixtures/README.md): the request's stale X-amz-date is dropped and the canonical
    /// request's time used instead.
    @Test func doubleEncodePath() throws {
        let folder = "v4-smithy-rs-extra/double-encode-path"
        var raw = try RawRequest(parsing: Array(Fixtures.data("\(folder)/request.txt")))
        raw.headers.removeAll { $0.name.lowercased() == "x-amz-date" }
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "execute-api")

        let signed = try signer.sign(raw.sigV4Request, date: Date(timeIntervalSince1970: 1_620_747_645))

        #expect(signed.canonicalRequest == (try Fixtures.text("\(folder)/header-canonical-request.txt")))
    }

    /// S3 signs the path as sent: existing escapes are kept, not encoded again.
    @Test func s3KeepsEscapes() throws {
        let request = SigV4Request(
            method: "GET", path: "/bucket/a%3ab/c d//e", headers: [(name: "Host", value: "s3.amazonaws.com")])
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")

        let signed = try signer.sign(request, date: Date(timeIntervalSince1970: 0), options: .s3)

        let uri = signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1]
        #expect(uri == "/bucket/a%3Ab/c%20d//e")
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
    }
}
