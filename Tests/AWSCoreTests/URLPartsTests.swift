import AWSCore
import Testing

/// How the project splits a URL (scheme, authority, path) and which host it reads from one.
@Suite struct URLPartsTests {
    @Test(arguments: [
        ("https://sqs.eu-west-1.amazonaws.com/1/q", "https", "sqs.eu-west-1.amazonaws.com", "/1/q"),
        ("http://127.0.0.1:4566", "http", "127.0.0.1:4566", ""),
        ("https://h.example.com/a://b", "https", "h.example.com", "/a://b"),
        ("HTTPS://[::1]:4566/x/", "HTTPS", "[::1]:4566", "/x/"),
        ("https://user@h.example.com/p", "https", "user@h.example.com", "/p"),
        ("https:///p", "https", "", "/p"),
    ])
    func splitsAtTheFirstSchemeSeparatorAndTheFirstSlashAfterIt(url: String, scheme: String, authority: String, path: String) {
        let parts = URLParts(url)
        #expect(parts.scheme == Substring(scheme))
        #expect(parts.authority == Substring(authority))
        #expect(parts.path == Substring(path))
    }

    @Test func withoutASchemeTheAuthorityStartsAtTheBeginning() {
        let parts = URLParts("host.example.com:443/x")
        #expect(parts.scheme == nil)
        #expect(parts.authority == "host.example.com:443")
        #expect(parts.path == "/x")
        #expect(parts.host == nil)
        #expect(URLParts("").authority.isEmpty && URLParts("").path.isEmpty)
    }

    @Test(arguments: [
        ("https://SQS.EU-WEST-1.amazonaws.com/1/q", "sqs.eu-west-1.amazonaws.com"),
        ("http://127.0.0.1:4566", "127.0.0.1"),
        ("https://h.example.com:", "h.example.com"),
        ("https://[::1]:4566/", "[::1]"),
        ("https://[FE80::1]", "[fe80::1]"),
    ])
    func theHostIsLowercasedWithoutItsPort(url: String, host: String) {
        #expect(URLParts(url).host == host)
    }

    /// User information could make another parser read another host; an unclosed IPv6 literal
    /// and an empty authority name none.
    @Test(arguments: ["https://user@h.example.com/p", "https://h.example.com@evil.example/p", "https://[::1/", "https:///p"])
    func someAuthoritiesHaveNoHost(url: String) {
        #expect(URLParts(url).host == nil)
    }
}
