import Foundation
import SigV4
import Testing

/// Canonicalisation rules the AWS suites do not exercise.
@Suite struct CanonicalizationTests {
    static let signer = SigV4Signer(
        credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1",
        service: "service")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    /// Line `index` of the canonical request.
    static func line(_ index: Int, of request: SigV4Request, options: SigV4Options = SigV4Options()) throws -> String {
        let lines = try signer.sign(request, date: date, options: options).canonicalRequest
            .split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.contains(index) ? String(lines[index]) : "<missing line \(index)>"
    }

    static func request(path: String = "/", query: String = "", headers: [(name: String, value: String)] = [])
        -> SigV4Request
    {
        SigV4Request(method: "GET", path: path, query: query, headers: [(name: "Host", value: "example.com")] + headers)
    }

    @Test(arguments: [
        ("a+b=c d", "a%2Bb=c%20d"),  // `+` is a literal plus, never a space
        ("k=%zz&j=%4", "j=%254&k=%25zz"),  // broken escapes are literal percent signs
        ("k=%e1%88%b4", "k=%E1%88%B4"),  // escapes re-encoded with uppercase hex
        ("k=%41", "k=A"),  // needlessly escaped unreserved characters are decoded
        ("a=1&&b=2&", "a=1&b=2"),  // empty pieces dropped
        ("=v", "=v"),
        ("a=b=c", "a=b%3Dc"),  // only the first `=` separates
        ("flag", "flag="),
        ("b&a=", "a=&b="),
        ("k=v/w:x", "k=v%2Fw%3Ax"),
    ])
    func query(_ raw: String, _ canonical: String) throws {
        #expect(try Self.line(2, of: Self.request(query: raw)) == canonical)
    }

    @Test(arguments: [
        ("", "/"),
        ("relative/x", "/relative/x"),
        ("/a/b/../c/./d/", "/a/c/d/"),
        ("/../a", "/a"),
        ("/a/b/..", "/a"),
        ("/a%2Fb", "/a%252Fb"),
        ("/caf\u{e9}", "/caf%C3%A9"),
        ("/a:b@c", "/a%3Ab%40c"),
    ])
    func normalizedPath(_ raw: String, _ canonical: String) throws {
        #expect(try Self.line(1, of: Self.request(path: raw)) == canonical)
    }

    @Test func pathIsNotNormalizedWhenDisabled() throws {
        let options = SigV4Options(normalizePath: false)
        #expect(try Self.line(1, of: Self.request(path: "/a/./b/../c//"), options: options) == "/a/./b/../c//")
    }

    @Test func volatileHeadersAreNotSigned() throws {
        let request = Self.request(headers: [
            (name: "User-Agent", value: "curl"), (name: "Authorization", value: "old"), (name: "Expect", value: "100"),
            (name: "X-Amzn-Trace-Id", value: "t"), (name: " X-Custom\t", value: "\t a \t\t b  "),
            (name: "Connection", value: "keep-alive"), (name: "Transfer-Encoding", value: "chunked"),
            // As long as an unsigned name, and signed.
            (name: "User-Agenz", value: "z"), (name: "x-amz-datf", value: "f"),
        ])
        let signed = try Self.signer.sign(request, date: Self.date)
        #expect(signed.signedHeaders == "host;user-agenz;x-amz-date;x-amz-datf;x-custom")
        #expect(signed.canonicalRequest.contains("\nx-custom:a b\n"))
    }

    @Test func payloadVariants() throws {
        let body = Array("{\"SecretId\":\"x\"}".utf8)
        let hash = try SHA256Digest.hexHash(body)
        var request = Self.request()
        request.payload = .bytes(body)
        #expect(try Self.line(7, of: request) == hash)
        request.payload = .data(Data(body))
        #expect(try Self.line(7, of: request) == hash)
        request.payload = .precomputedHash(hash)
        #expect(try Self.line(7, of: request) == hash)
        request.payload = .unsigned
        #expect(try Self.line(7, of: request) == "UNSIGNED-PAYLOAD")
        request.payload = .empty
        #expect(try Self.line(7, of: request) == SHA256Digest.emptyHexHash)
    }

    @Test func signBodyAddsAndSignsContentHash() throws {
        let body = Array("payload".utf8)
        let request = SigV4Request(
            method: "PUT", path: "/", headers: [(name: "Host", value: "example.com")], payload: .bytes(body))
        let signed = try Self.signer.sign(request, date: Self.date, options: SigV4Options(signBody: true))
        let hash = try SHA256Digest.hexHash(body)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        #expect(signed.canonicalRequest.contains("\nx-amz-content-sha256:\(hash)\n"))
        #expect(signed.headersToAdd.map(\.name) == ["X-Amz-Date", "x-amz-content-sha256", "Authorization"])
        #expect(signed.headersToAdd[1].value == hash)
    }
}
