import SigV4
import Testing

@Suite struct SigV4RequestURLTests {
    @Test(arguments: [
        ("https://secretsmanager.us-east-1.amazonaws.com/", "secretsmanager.us-east-1.amazonaws.com", "/", ""),
        ("https://example.com", "example.com", "/", ""),
        ("https://example.com:443/a%20b?x=1&flag#frag", "example.com", "/a%20b", "x=1&flag"),
        ("http://127.0.0.1:5000/?a=b", "127.0.0.1:5000", "/", "a=b"),
        ("http://user:pw@host:80/p", "host", "/p", ""),
        ("http://[::1]:8080/p?q", "[::1]:8080", "/p", "q"),
        ("https://[::1]/p", "[::1]", "/p", ""),
    ])
    func splitsURL(_ url: String, _ host: String, _ path: String, _ query: String) throws {
        let request = try #require(SigV4Request(method: "GET", url: url))
        #expect(request.headers.count == 1)
        #expect(request.headers.first?.name == "Host")
        #expect(request.headers.first?.value == host)
        #expect(request.path == path)
        #expect(request.query == query)
    }

    @Test func keepsExistingHostAndRejectsRelativeURLs() throws {
        let request = try #require(
            SigV4Request(method: "POST", url: "https://a.example/", headers: [(name: "host", value: "b.example")]))
        #expect(request.headers.map(\.value) == ["b.example"])
        #expect(SigV4Request(method: "GET", url: "/relative") == nil)
        #expect(SigV4Request(method: "GET", url: "https:///path") == nil)
    }
}
