import Foundation
import HTTP
import Testing
import TestSupport

@Suite("CurlHTTPClient TLS verification")
struct CurlHTTPClientTLSTests {
    @Test("A self-signed server is rejected by default and accepted with its certificate as CA file")
    func selfSignedCertificate() async throws {
        let server = try OpenSSLTestServer()
        defer { server.stop() }

        let strict = try makeClient()
        defer { strict.shutdown() }
        let error = await clientError {
            try await strict.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        }
        #expect(error?.code == .tlsFailure)
        #expect(error?.isTransient == false)

        let trusting = try makeClient(caFile: server.certificatePath)
        defer { trusting.shutdown() }
        let response = try await trusting.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("<HTML>"))
    }

    @Test("The host name is verified too: a trusted certificate for another name fails")
    func hostNameVerified() async throws {
        let server = try OpenSSLTestServer(subjectAltName: "DNS:secretsmanager.example.com")
        defer { server.stop() }
        let client = try makeClient(caFile: server.certificatePath)
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        }
        #expect(error?.code == .tlsFailure)
        #expect(error?.curlCode == 60)
    }

    @Test("TLS sessions are resumed across requests")
    func tlsSessionResumed() async throws {
        // s_server -www closes the connection after each answer, so the second request needs a
        // new connection; its status page says whether the TLS session was "New" or "Reused".
        let server = try OpenSSLTestServer()
        defer { server.stop() }
        let client = try makeClient(caFile: server.certificatePath)
        defer { client.shutdown() }
        var handshakes: [String] = []
        for _ in 0..<2 {
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
            let page = String(decoding: response.body, as: UTF8.self)
            handshakes.append(
                contentsOf: page.split(separator: "\n").filter { $0.hasPrefix("New,") || $0.hasPrefix("Reused,") }
                    .map { String($0.prefix { $0 != "," }) })
        }
        #expect(handshakes == ["New", "Reused"])
    }
}
