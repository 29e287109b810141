import Foundation
import SigV4
import Testing

/// What the HTTP layer must add for temporary credentials.
@Suite struct SessionTokenTests {
    static let token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    static let signer = SigV4Signer(
        credentials: Credentials(
            accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: token),
        region: "us-east-1", service: "service", keyCache: SigningKeyCache())
    static let date = Date(timeIntervalSince1970: 1_440_938_160)
    static let request = SigV4Request(method: "POST", headers: [(name: "Host", value: "example.amazonaws.com")])

    /// Same request as AWS's `post-sts-header-before`: the token is signed.
    @Test func tokenIsSignedAndAdded() throws {
        let signed = try Self.signer.sign(Self.request, date: Self.date)
        let expectedSignature = try Fixtures.text("v4/post-sts-header-before/header-signature.txt")

        #expect(signed.signature == expectedSignature)
        #expect(signed.signedHeaders == "host;x-amz-date;x-amz-security-token")
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=\(expectedSignature)")
        #expect(signed.headersToAdd.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(signed.headersToAdd.map(\.value) == ["20150830T123600Z", Self.token, signed.authorization])

        // The signature checks out against the string to sign with an independently derived key.
        var key = try HMACSHA256.authenticate(
            key: Array("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8), message: Array("20150830".utf8))
        for part in ["us-east-1", "service", "aws4_request"] {
            key = try HMACSHA256.authenticate(key: key, message: Array(part.utf8))
        }
        #expect(
            try Hex.encode(HMACSHA256.authenticate(key: key, message: Array(signed.stringToSign.utf8))) == signed.signature)
    }

    /// Same request as AWS's `post-sts-header-after`: the token travels unsigned.
    @Test func omittedTokenIsAddedButNotSigned() throws {
        let signed = try Self.signer.sign(Self.request, date: Self.date, options: SigV4Options(omitSessionToken: true))

        #expect(signed.signature == (try Fixtures.text("v4/post-sts-header-after/header-signature.txt")))
        #expect(signed.signedHeaders == "host;x-amz-date")
        #expect(signed.headersToAdd.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(signed.headersToAdd[1].value == Self.token)
    }

    @Test func tokenAlreadyOnRequestIsNotAddedTwice() throws {
        var request = Self.request
        request.headers.append((name: "x-amz-security-token", value: Self.token))
        request.headers.append((name: "X-Amz-Date", value: "20150830T123600Z"))

        let signed = try Self.signer.sign(request, date: Self.date)

        #expect(signed.headersToAdd.map(\.name) == ["Authorization"])
        #expect(try signed.signature == Self.signer.sign(Self.request, date: Self.date).signature)
    }

    @Test func everythingTogetherWithSignedBody() throws {
        let body = Array("{\"SecretId\":\"db\"}".utf8)
        var request = Self.request
        request.payload = .bytes(body)

        let signed = try Self.signer.sign(request, date: Self.date, options: SigV4Options(signBody: true))

        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(
            signed.headersToAdd.map(\.name) == [
                "X-Amz-Date", "X-Amz-Security-Token", "x-amz-content-sha256", "Authorization",
            ])
        #expect(try signed.headersToAdd[2].value == SHA256Digest.hexHash(body))
        #expect(signed.headersToAdd[3].value == signed.authorization)
        #expect(signed.authorization.hasSuffix("Signature=\(signed.signature)"))
    }
}
