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

    /// A caller's precomputed payload hash is signed as given, however long: the header block's
    /// room is sized from it, not from a digest's 64 hex digits.
    @Test func aLongPrecomputedPayloadHashIsSignedAsGiven() throws {
        let value = String(repeating: "STREAMING-UNSIGNED-PAYLOAD-TRAILER-", count: 8)
        let request = SigV4Request(
            method: "PUT", path: "/", headers: [(name: "Host", value: "example.com")],
            payload: .precomputedHash(value))
        let signed = try Self.signer.sign(request, date: Self.date, options: SigV4Options(signBody: true))
        #expect(signed.canonicalRequest.contains("\nx-amz-content-sha256:\(value)\n"))
        #expect(signed.canonicalRequest.hasSuffix("\n" + value))
        #expect(signed.headersToAdd[1] == (name: "x-amz-content-sha256", value: value))
    }

    /// The header block is built in stack buffers sized from the raw fields: many fields, padded
    /// or not (unpadded ones, with all three added fields and a token, fill the room exactly),
    /// give the block a plain string-based canonicalisation gives, in any order.
    @Test(arguments: [false, true])
    func manyHeadersCanonicalizeInTheirBuffers(padded: Bool) throws {
        var headers: [(name: String, value: String)] = [(name: "Host", value: "example.com")]
        for index in 0..<40 {
            let value = String(repeating: "v\(index)", count: index % 7 + 1)
            headers.append(
                padded && !index.isMultiple(of: 3)
                    ? (name: " \tX-FIELD-\(index) ", value: "\t \(value) \n\t  \(value)\r\n ")
                    : (name: "X-Field-\(index)", value: value))
        }
        if padded { headers.append((name: " \t ", value: "a field without a name is dropped")) }
        headers.append((name: "x-field-0", value: "second"))
        let signer = SigV4Signer(
            credentials: Credentials(
                accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: String(repeating: "t", count: 900)),
            region: "us-east-1", service: "service")
        let body = Array("payload".utf8)
        let options = SigV4Options(signBody: true)
        func sign(_ headers: [(name: String, value: String)]) throws -> SignedRequest {
            try signer.sign(
                SigV4Request(method: "PUT", headers: headers, payload: .bytes(body)), date: Self.date, options: options)
        }
        let signed = try sign(headers)

        // By scalar: Swift reads "\r\n" as one Character.
        func collapsed(_ text: String) -> String {
            text.unicodeScalars.split { " \t\n\r".unicodeScalars.contains($0) }
                .map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
        }
        var fields: [(name: String, value: String)] = headers.compactMap { header in
            let name = collapsed(header.name).lowercased()
            return name.isEmpty ? nil : (name: name, value: collapsed(header.value))
        }
        fields += [
            (name: "x-amz-date", value: "20150830T123600Z"),
            (name: "x-amz-security-token", value: signer.credentials.sessionToken!),
            (name: "x-amz-content-sha256", value: try SHA256Digest.hexHash(body)),
        ]
        var joined: [String: [String]] = [:]
        for field in fields { joined[field.name, default: []].append(field.value) }
        let names = joined.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let block = names.map { "\($0):\(joined[$0]!.joined(separator: ","))\n" }.joined()
        #expect(signed.canonicalRequest.contains("\n\n" + block + "\n" + names.joined(separator: ";") + "\n"))
        #expect(signed.signedHeaders == names.joined(separator: ";"))
        // Fields sharing a name keep their order; the rest may come in any.
        let shuffled = [headers[0]] + headers[1..<(headers.count - 1)].reversed() + [headers[headers.count - 1]]
        #expect(try sign(shuffled).signature == signed.signature)
    }
}
