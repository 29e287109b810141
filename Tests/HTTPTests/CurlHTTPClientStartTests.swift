import Foundation
import HTTP
import Logging
import Testing
import TestSupport

/// `CurlHTTPClient.Start.atFirstRequest`: the engine (libcurl and its thread) starts at the
/// first request, once, however many arrive together.
@Suite("CurlHTTPClient started at the first request")
struct CurlHTTPClientStartTests {
    @Test("Nothing starts before the first request; then racing first requests share one engine")
    func startsOnceAtTheFirstRequest() async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(body: Data(request.target.utf8), delay: .milliseconds(20))
        }
        // One connection per host: the requests of one engine take turns on a single connection,
        // so a second engine (started by a racing first request) would open a second one.
        let client = try CurlHTTPClient(
            configuration: .init(environment: [:], userAgent: "http-tests", maxConnectionsPerHost: 1),
            logger: Logger(label: "HTTPTests"), start: .atFirstRequest)
        defer { client.shutdown() }
        #expect(!client.isStarted)
        #expect(server.requestsServed == 0)

        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<10 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/\(index)"))
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            var bodies: Set<String> = []
            for try await body in group { bodies.insert(body) }
            return bodies
        }
        #expect(bodies == Set((0..<10).map { "/\($0)" }))
        #expect(client.isStarted)
        #expect(server.connectionsAccepted == 1, "\(server.connectionsAccepted) connections: more than one engine")
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

    @Test("close() stops a lazily started engine: the request in flight fails with .cancelled at once")
    func closeStopsALazilyStartedEngine() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "late", delay: .seconds(90)) }
        let client = try makeClient(start: .atFirstRequest)
        let inFlight = Task {
            await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        }
        try #require(await eventually { !server.recordedRequests.isEmpty })
        let closing = ContinuousClock.now
        await client.close()
        #expect(await inFlight.value?.code == .cancelled)
        // (Far below the answer's delay, far above what a loaded host takes to stop the engine.)
        #expect(ContinuousClock.now - closing < .seconds(30), "the transfer was not stopped by close()")
        #expect(!client.isStarted)
        let later = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        #expect(later?.code == .cancelled)
    }

    @Test("A shutdown racing the first request wins: the request fails with .cancelled or completes, later ones fail")
    func shutdownRacingTheStart() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        for _ in 0..<20 {
            let client = try makeClient(start: .atFirstRequest)
            async let first = clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
            await client.close()
            let error = await first
            #expect(error == nil || error?.code == .cancelled, "\(String(describing: error))")
            #expect(!client.isStarted)
            let later = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
            #expect(later?.code == .cancelled)
        }
    }
}
