import Foundation
import HTTP
import Testing
import TestSupport

/// `CurlHTTPClient.Start.atFirstRequest`: the engine (libcurl and its thread) starts at the
/// first request, once, however many arrive together.
@Suite("CurlHTTPClient started at the first request")
struct CurlHTTPClientStartTests {
    @Test("Nothing starts before the first request; then one engine serves every request")
    func startsOnceAtTheFirstRequest() async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(body: Data(request.target.utf8), delay: .milliseconds(50))
        }
        let client = try makeClient(start: .atFirstRequest)
        defer { client.shutdown() }
        #expect(!client.isStarted)
        #expect(server.requestsServed == 0)

        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/\(index)"))
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            var bodies: Set<String> = []
            for try await body in group { bodies.insert(body) }
            return bodies
        }
        #expect(bodies == Set((0..<40).map { "/\($0)" }))
        #expect(client.isStarted)
        // One engine: its connections are reused by the next request (a second engine started by
        // a racing first request would have its own connections and thread, left running).
        let before = server.connectionsAccepted
        _ = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/again"))
        #expect(server.connectionsAccepted == before)
    }

    @Test("A client shut down before its first request never starts; its requests fail with .cancelled")
    func shutDownBeforeTheFirstRequest() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let client = try makeClient(start: .atFirstRequest)
        client.shutdown()
        let error = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        #expect(error?.code == .cancelled)
        #expect(!client.isStarted)
        #expect(server.requestsServed == 0)
    }

    @Test("shutdown() after the engine started lazily stops it: later requests fail with .cancelled")
    func shutDownAfterALazyStart() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let client = try makeClient(start: .atFirstRequest)
        #expect(try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)).status == 200)
        await client.close()
        #expect(!client.isStarted)
        let later = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        #expect(later?.code == .cancelled)
        #expect(server.requestsServed == 1)
    }
}
