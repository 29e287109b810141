import Testing

@testable import HTTP

/// A proxy's user information never reaches curl's text, nor a message made from it.
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

    @Test func aProxyURLIsSplitFromItsUserInformation() {
        #expect(
            ProxyAddress("http://us%40er:p%3Ass@proxy:3128/")
                == ProxyAddress(address: "http://proxy:3128/", user: "us@er", password: "p:ss"))
        #expect(ProxyAddress("user:pw@proxy:3128") == ProxyAddress(address: "proxy:3128", user: "user", password: "pw"))
        #expect(ProxyAddress("socks5://only@proxy") == ProxyAddress(address: "socks5://proxy", user: "only", password: nil))
        #expect(ProxyAddress("http://proxy:3128") == ProxyAddress(address: "http://proxy:3128", user: nil, password: nil))
        // A password with an unencoded /, ? or #: still taken out whole.
        #expect(
            ProxyAddress("http://u:pa/ss?#w@proxy:3128")
                == ProxyAddress(address: "http://proxy:3128", user: "u", password: "pa/ss?#w"))
        #expect(ProxyAddress.percentDecoded("a%zz%4") == Array("a%zz%4".utf8))
        // A password escaped in Latin-1 stays those bytes (the proxy compares bytes), not U+FFFD.
        #expect(ProxyAddress("http://u:%E9t%E9@proxy:3128").password == [0xE9, 0x74, 0xE9])
    }
}
