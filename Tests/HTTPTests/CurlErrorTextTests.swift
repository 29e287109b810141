import Testing

@testable import HTTP

/// curl's error text may quote a proxy URL whole: its user information never reaches a message.
@Suite struct CurlErrorTextTests {
    @Test(arguments: [
        ("Unsupported proxy scheme for 'htps://user:pw@proxy:3128'", "Unsupported proxy scheme for 'htps://***@proxy:3128'"),
        ("Unsupported proxy syntax in 'http://a:b@h/x' and 'socks5://c:d@i'", "Unsupported proxy syntax in 'http://***@h/x' and 'socks5://***@i'"),
        ("Could not resolve host: origin.invalid", "Could not resolve host: origin.invalid"),
        ("see https://example.com/a@b", "see https://example.com/a@b"),
        ("user@host without a scheme", "user@host without a scheme"),
    ])
    func userInformationIsReplaced(text: String, expected: String) {
        #expect(HTTPClientError.withoutUserInfo(text) == expected)
    }
}
