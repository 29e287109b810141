import Foundation
import Glibc
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

    @Test("A handshake the server cuts short is a failed handshake, worth another attempt")
    func handshakeResetIsTransient() async throws {
        // A listener that resets every connection once the client's hello came: the handshake dies.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } } == 0)
        try #require(listen(listener, 8) == 0)
        try #require(withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } } == 0)
        let port = UInt16(bigEndian: address.sin_port)
        // One connection, then the thread ends; the listener is closed only after that, so the
        // thread never touches a descriptor number another test may have been given meanwhile.
        let ended = DispatchSemaphore(value: 0)
        let resetter = Thread {
            defer { ended.signal() }
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            var hello = [UInt8](repeating: 0, count: 1024)
            _ = recv(connection, &hello, hello.count, 0)  // the ClientHello: the handshake has begun
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(connection)
        }
        resetter.start()
        defer {
            shutdown(listener, Int32(SHUT_RDWR))  // ends an accept still waiting
            ended.wait()
            close(listener)
        }

        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: "https://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .tlsHandshakeFailed, "\(String(describing: error))")
        #expect(error?.curlCode == 35)
        #expect(error?.isTransient == true)
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
