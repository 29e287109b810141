import Foundation
import HTTP
import Testing
import TestSupport

@Suite("CurlHTTPClient proxy handling")
struct CurlHTTPClientProxyTests {
    @Test("http_proxy from the injected environment is used: the proxy sees an absolute-form target")
    func httpProxyUsed() async throws {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(body: "via proxy") }
        let client = try makeClient(environment: ["http_proxy": proxy.baseURL])
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: "GET", url: "http://origin.invalid/some/path?q=1"))
        #expect(String(decoding: response.body, as: UTF8.self) == "via proxy")
        let recorded = try #require(proxy.recordedRequests.first)
        #expect(recorded.target == "http://origin.invalid/some/path?q=1")
        #expect(recorded.headers["host"] == "origin.invalid")
    }

    @Test("A proxy URL curl refuses is named in the error without its password")
    func refusedProxyURLWithoutPassword() async throws {
        let client = try makeClient(environment: ["http_proxy": "htps://user:s3cr3t-proxy@127.0.0.1:9"])
        defer { client.shutdown() }
        do {
            _ = try await client.execute(HTTPRequest(method: "GET", url: "http://origin.invalid/x"))
            Issue.record("a request through an unsupported proxy scheme succeeded")
        } catch {
            #expect(!error.message.contains("s3cr3t"), "\(error.message)")
            // curl never had the user information: it names the proxy without it.
            #expect(error.message.contains("'htps://127.0.0.1:9'"), "\(error.message)")
            // The same at every attempt: not retried as an outage, nor sent.
            #expect(error.code == .invalidURL && !error.isTransient && !error.requestMayHaveBeenSent, "\(error)")
        }
    }

    @Test("A proxy's user and password reach it as Proxy-Authorization, percent-decoded")
    func proxyCredentialsAreSent() async throws {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(body: "via proxy") }
        let url = proxy.baseURL.replacingOccurrences(of: "http://", with: "http://us%40er:p%3Ass@")
        let client = try makeClient(environment: ["http_proxy": url])
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: "GET", url: "http://origin.invalid/x"))
        #expect(String(decoding: response.body, as: UTF8.self) == "via proxy")
        let credentials = Data("us@er:p:ss".utf8).base64EncodedString()
        #expect(proxy.recordedRequests.first?.headers["proxy-authorization"] == "Basic \(credentials)")

        // A password escaped in Latin-1 reaches the proxy as those bytes, as curl sends it.
        let latin1 = try makeClient(
            environment: ["http_proxy": proxy.baseURL.replacingOccurrences(of: "http://", with: "http://u:%E9t%E9@")])
        defer { latin1.shutdown() }
        _ = try await latin1.execute(HTTPRequest(method: "GET", url: "http://origin.invalid/y"))
        let bytes = Data([0x75, 0x3A, 0xE9, 0x74, 0xE9]).base64EncodedString()
        #expect(proxy.recordedRequests.last?.headers["proxy-authorization"] == "Basic \(bytes)")
    }

    @Test("Lower-case http_proxy wins over HTTP_PROXY, as in curl")
    func lowerCaseWins() throws {
        let configuration = CurlHTTPClient.Configuration(
            environment: ["http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2", "HTTPS_PROXY": "http://s:3"]
        )
        #expect(configuration.httpProxy == "http://lower:1")
        #expect(configuration.httpsProxy == "http://s:3")
        #expect(configuration.noProxy == nil)
        #expect(CurlHTTPClient.Configuration(environment: ["http_proxy": " "]).httpProxy == nil)
    }

    @Test("HTTP_PROXY in upper case is not read, as curl does not (httpoxy); ALL_PROXY still serves")
    func upperCaseHTTPProxyIsNotRead() throws {
        #expect(CurlHTTPClient.Configuration(environment: ["HTTP_PROXY": "http://upper:2"]).httpProxy == nil)
        let fallback = CurlHTTPClient.Configuration(environment: [
            "HTTP_PROXY": "http://upper:2", "ALL_PROXY": "http://all:3",
        ])
        #expect(fallback.httpProxy == "http://all:3")
    }

    @Test("ALL_PROXY serves a scheme with no proxy variable of its own, as in curl")
    func allProxyIsTheFallback() throws {
        let only = CurlHTTPClient.Configuration(environment: ["ALL_PROXY": "http://all:1"])
        #expect(only.httpsProxy == "http://all:1" && only.httpProxy == "http://all:1")
        let mixed = CurlHTTPClient.Configuration(environment: [
            "all_proxy": "http://all:1", "HTTPS_PROXY": "http://s:2",
        ])
        #expect(mixed.httpsProxy == "http://s:2")
        #expect(mixed.httpProxy == "http://all:1")
    }

    @Test("NO_PROXY hosts go direct")
    func noProxyRespected() async throws {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(body: "via proxy") }
        let origin = try LoopbackHTTPServer { _ in ScriptedResponse(body: "direct") }
        let client = try makeClient(environment: ["http_proxy": proxy.baseURL, "NO_PROXY": "localhost,127.0.0.1"])
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: "GET", url: origin.baseURL + "/x"))
        #expect(String(decoding: response.body, as: UTF8.self) == "direct")
        #expect(origin.recordedRequests.first?.target == "/x")
        #expect(proxy.requestsServed == 0)
        #expect(proxy.connectionsAccepted == 0)
    }

    @Test("bypassProxy goes direct whatever the environment says")
    func bypassProxy() async throws {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(body: "via proxy") }
        let origin = try LoopbackHTTPServer { _ in ScriptedResponse(body: "direct") }
        let client = try makeClient(environment: ["http_proxy": proxy.baseURL])
        defer { client.shutdown() }
        let response = try await client.execute(
            HTTPRequest(method: "GET", url: origin.baseURL + "/latest/api/token", options: .init(bypassProxy: true))
        )
        #expect(String(decoding: response.body, as: UTF8.self) == "direct")
        #expect(proxy.connectionsAccepted == 0)
        // Without the option the same request goes to the proxy.
        _ = try await client.execute(HTTPRequest(method: "GET", url: origin.baseURL + "/latest/api/token"))
        #expect(proxy.recordedRequests.first?.target == origin.baseURL + "/latest/api/token")
    }

    @Test("HTTPS_PROXY is used for https URLs (CONNECT tunnel), not for http ones")
    func httpsProxyTunnels() async throws {
        let proxy = try LoopbackHTTPServer { request in
            // Refuse the tunnel: enough to prove curl asked this proxy for it.
            ScriptedResponse(status: 403, body: "no tunnels")
        }
        let origin = try LoopbackHTTPServer { _ in ScriptedResponse(body: "direct") }
        let client = try makeClient(environment: ["HTTPS_PROXY": proxy.baseURL])
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: "https://secretsmanager.invalid/"))
        }
        #expect(error?.code == .proxyRefused)
        #expect(error?.isTransient == false, "a proxy's policy does not change between attempts")
        let recorded = try #require(proxy.recordedRequests.first)
        #expect(recorded.method == "CONNECT")
        #expect(recorded.target == "secretsmanager.invalid:443")
        // http:// URLs ignore HTTPS_PROXY.
        let direct = try await client.execute(HTTPRequest(method: "GET", url: origin.baseURL + "/"))
        #expect(String(decoding: direct.body, as: UTF8.self) == "direct")
        #expect(proxy.requestsServed == 1)
    }

    /// 407 (credentials wanted), 403, and a proxy that does not tunnel (405, 501) are for good;
    /// a 502 (the proxy could not reach the host) or 503 is for now, and worth another attempt.
    @Test(arguments: [
        (407, HTTPClientError.Code.proxyRefused, false), (403, .proxyRefused, false), (405, .proxyRefused, false),
        (501, .proxyRefused, false), (502, .proxyFailure, true), (503, .proxyFailure, true),
    ])
    func aRefusedTunnelIsForGoodOnlyWhenTheProxySaysSo(status: Int, code: HTTPClientError.Code, transient: Bool)
        async throws
    {
        let proxy = try LoopbackHTTPServer { _ in ScriptedResponse(status: status, body: "no") }
        let client = try makeClient(environment: ["HTTPS_PROXY": proxy.baseURL])
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: "https://secretsmanager.invalid/"))
        }
        #expect(error?.code == code)
        #expect(error?.isTransient == transient)
    }

    @Test("An unreachable proxy is a .proxyFailure")
    func proxyUnreachable() async throws {
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let port = closed.port
        let client = try makeClient(environment: ["http_proxy": "http://127.0.0.1:\(port)"])
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: "http://origin.invalid/"))
        }
        #expect(error?.code == .proxyFailure)
    }
}
