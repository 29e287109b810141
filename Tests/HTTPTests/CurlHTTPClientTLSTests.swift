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
        let error = await clientError { try await strict.execute(HTTPRequest(method: "GET", url: server.baseURL + "/")) }
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
        let error = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/")) }
        #expect(error?.code == .tlsFailure)
        #expect(error?.curlCode == 60)
    }
}
