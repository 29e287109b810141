import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport

@Suite("CurlHTTPClient over loopback")
struct CurlHTTPClientTests {
    @Test("GET and POST round trip with headers and body")
    func roundTrip() async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(
                status: request.method == "POST" ? 201 : 200,
                headers: ["X-Echo-Method": request.method, "X-Seen-Header": request.headers["x-custom"] ?? "none"],
                body: Data("\(request.method) \(request.target) \(request.bodyText)".utf8)
            )
        }
        let client = try makeClient()
        defer { client.shutdown() }

        let get = try await client.execute(
            HTTPRequest(method: "GET", url: server.baseURL + "/thing?x=1", headers: ["X-Custom": "hello"])
        )
        #expect(get.status == 200)
        #expect(get.headers["x-echo-method"] == "GET")
        #expect(get.headers["X-Seen-Header"] == "hello")
        #expect(String(decoding: get.body, as: UTF8.self) == "GET /thing?x=1 ")

        let post = try await client.execute(
            HTTPRequest(
                method: "POST", url: server.baseURL + "/submit",
                headers: ["Content-Type": "application/x-amz-json-1.1", "X-Custom": "world"],
                body: Data(#"{"a":1}"#.utf8)
            )
        )
        #expect(post.status == 201)
        #expect(String(decoding: post.body, as: UTF8.self) == #"POST /submit {"a":1}"#)

        let recorded = server.recordedRequests
        try #require(recorded.count == 2)
        #expect(recorded[1].headers["content-type"] == "application/x-amz-json-1.1")
        #expect(recorded[1].headers["content-length"] == "7")
        #expect(recorded[1].headers["expect"] == nil)
        #expect(recorded[0].headers["user-agent"] == "http-tests")

        // The path goes as it was signed: no squashing of dot segments.
        _ = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/a/./b/../c"))
        #expect(server.recordedRequests.last?.target == "/a/./b/../c")
    }

    /// An obsolete folded line continues the field before it. (A line with no colon is refused
    /// by curl itself, "Weird server reply", so a fold never follows one.)
    @Test("Folded header lines join the field before them")
    func foldedHeaderLines() async throws {
        let server = try LoopbackHTTPServer { request in
            request.target == "/junk"
                ? ScriptedResponse(headers: ["X-B": "2\r\nno colon here"])
                : ScriptedResponse(headers: ["X-A": "1\r\n more", "X-B": "2"])
        }
        let client = try makeClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        #expect(response.headers["X-A"] == "1 more")
        #expect(response.headers["X-B"] == "2")
        await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/junk"))
        }
    }

    @Test("PUT with a body, DELETE without, empty header values and no invented Content-Type")
    func otherMethods() async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(status: 204)
        }
        let client = try makeClient()
        defer { client.shutdown() }
        let put = try await client.execute(
            HTTPRequest(method: "PUT", url: server.baseURL + "/p", headers: ["X-Empty": ""], body: Data("v".utf8))
        )
        let delete = try await client.execute(HTTPRequest(method: "DELETE", url: server.baseURL + "/d"))
        let emptyPost = try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/e"))
        #expect([put.status, delete.status, emptyPost.status] == [Int](repeating: 204, count: 3))
        let recorded = server.recordedRequests
        try #require(recorded.count == 3)
        #expect(recorded[0].method == "PUT")
        #expect(recorded[0].bodyText == "v")
        #expect(recorded[0].headers["x-empty"] == "")
        #expect(recorded[0].headers["content-type"] == nil)
        #expect(recorded[1].method == "DELETE")
        #expect(recorded[1].body.isEmpty)
        #expect(recorded[2].method == "POST")
        #expect(recorded[2].headers["content-length"] == "0")
    }

    @Test("Sequential requests reuse one connection")
    func connectionReuse() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let client = try makeClient()
        defer { client.shutdown() }
        for index in 0..<10 {
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/\(index)"))
            #expect(response.status == 200)
        }
        #expect(server.requestsServed == 10)
        #expect(server.connectionsAccepted == 1)
        #expect(Set(server.recordedRequests.map(\.connectionNumber)) == [1])
    }

    @Test("200 concurrent slow requests all succeed without a thread per request")
    func manyConcurrentRequests() async throws {
        let server = try LoopbackHTTPServer { request in
            ScriptedResponse(body: Data(request.target.utf8), delay: .milliseconds(100))
        }
        let client = try makeClient()
        defer { client.shutdown() }
        // The client's one thread and any thread it (or libcurl on it: the threaded resolver)
        // starts carry its name; other tests running in parallel start threads of their own,
        // which are not counted (a whole-process count flaked at 162 with 150 allowed). What this
        // does not see is a thread started per request from the caller's side; `execute` only
        // hands the request to the engine's inbox, so none is (CurlHTTPClient, CurlEngine.submit).
        let baseline = try #require(ProcessInspection.threadCount(named: "curl-multi"))

        let (bodies, peakThreads) = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let response = try await client.execute(
                        HTTPRequest(method: "GET", url: server.baseURL + "/\(index)"))
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            // Sample while the requests are in flight (they take at least 100 ms).
            var peak = baseline
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(15))
                peak = max(peak, ProcessInspection.threadCount(named: "curl-multi") ?? 0)
            }
            var bodies: Set<String> = []
            for try await body in group { bodies.insert(body) }
            return (bodies, peak)
        }

        #expect(bodies == Set((0..<200).map { "/\($0)" }))
        #expect(server.requestsServed == 200)
        // A thread per request would add 200 at least (all 200 are in flight while it samples);
        // the clients of tests running in parallel add one each (157 were seen in a full parallel
        // run, which flaked a bound of 150).
        #expect(peakThreads >= 1, "no curl-multi thread was seen")
        #expect(peakThreads - baseline < 190, "curl-multi threads grew from \(baseline) to \(peakThreads)")
    }

    @Test("Total timeout fails with .timedOut")
    func totalTimeout() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "late", delay: .seconds(3)) }
        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(
                HTTPRequest(method: "GET", url: server.baseURL + "/", options: .init(totalTimeout: .milliseconds(300)))
            )
        }
        #expect(error?.code == .timedOut)
        // Without the timeout the 3 s answer would have arrived as a success.
        #expect(error?.isTransient == true)
    }

    /// A timeout before the request could be sent (here the TLS handshake, which the peer never
    /// answers) sent nothing: a connection not made, not a request whose answer was lost (a
    /// write's result would say it may have been made).
    @Test("A timeout before the request was sent fails with .couldNotConnect")
    func timeoutBeforeTheRequestWasSent() async throws {
        let silent = try #require(LoopbackPorts.SilentPort())
        defer { silent.close() }
        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(
                HTTPRequest(
                    method: "POST", url: "https://127.0.0.1:\(silent.port)/",
                    options: .init(totalTimeout: .milliseconds(500))))
        }
        #expect(error?.code == .couldNotConnect, "\(String(describing: error))")
        #expect(error?.curlCode == 28)
        #expect(error?.requestMayHaveBeenSent == false)
        #expect(error?.isTransient == true)
    }

    @Test("Connecting to a closed port fails with .couldNotConnect")
    func connectionRefused() async throws {
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let port = closed.port
        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.curlCode == 7)
        #expect(error?.message.isEmpty == false)
    }

    @Test("A body over the limit fails with .responseTooLarge", arguments: [false, true])
    func responseTooLarge(omitContentLength: Bool) async throws {
        let server = try LoopbackHTTPServer { request in
            let size = request.path == "/small" ? 1000 : 10_000
            return ScriptedResponse(body: Data(repeating: 0x61, count: size), omitContentLength: omitContentLength)
        }
        let client = try makeClient()
        defer { client.shutdown() }
        let options = HTTPRequestOptions(maxResponseBytes: 1000)
        let small = try await client.execute(
            HTTPRequest(method: "GET", url: server.baseURL + "/small", options: options))
        #expect(small.body.count == 1000)
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/big", options: options))
        }
        #expect(error?.code == .responseTooLarge)
    }

    /// Endless header lines are no large body: their own code, so that the message and an SQS
    /// receive (which takes a large body for too many messages at once) say what happened.
    @Test("Headers over 256 KiB fail with .responseHeadersTooLarge")
    func responseHeadersTooLarge() async throws {
        let padding = String(repeating: "h", count: 1000)
        let server = try LoopbackHTTPServer { request in
            let count = request.path == "/few" ? 100 : 300
            let headers = HTTPHeaders((0..<count).map { HTTPHeaders.Field(name: "X-Pad-\($0)", value: padding) })
            return ScriptedResponse(headers: headers, body: Data("{}".utf8))
        }
        let client = try makeClient()
        defer { client.shutdown() }
        let few = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/few"))
        #expect(few.body == Data("{}".utf8))
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/many"))
        }
        #expect(error?.code == .responseHeadersTooLarge, "\(String(describing: error))")

        // One line over libcurl's 100 KiB, under 256 KiB in all: the same code, not "out of memory".
        let long = try LoopbackHTTPServer { _ in
            ScriptedResponse(headers: ["X-Long": String(repeating: "a", count: 120_000)], body: Data("{}".utf8))
        }
        let line = await clientError { try await client.execute(HTTPRequest(method: "GET", url: long.baseURL + "/")) }
        #expect(line?.code == .responseHeadersTooLarge, "\(String(describing: line))")
        #expect(line?.requestMayHaveBeenSent == true)
    }

    /// An answer in HTTP libcurl cannot read (a version or status it does not take, a length
    /// that is no number, an encoding not asked for) is an answer: the request was sent, and
    /// trying again gets the same. It was read as a URL libcurl could not take: never sent.
    @Test(arguments: [
        "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 1000 OK\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}",
    ])
    func anAnswerLibcurlCannotReadWasSent(answer: String) async throws {
        let server = try #require(LoopbackNotHTTPServer(greeting: answer))
        defer { server.stop() }
        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "POST", url: server.baseURL + "/", body: Data("{}".utf8)))
        }
        #expect(error?.code == .unreadableResponse, "\(String(describing: error))")
        #expect(error?.requestMayHaveBeenSent == true)
        #expect(error?.isTransient == false)
    }

    /// A header whose value is blanks alone is sent, empty: libcurl drops "Name:   " as it does
    /// "Name:", and the signer signs the header trimmed to empty (AWS_SESSION_TOKEN=" ").
    @Test func aHeaderOfBlanksIsSentEmpty() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let client = try makeClient()
        defer { client.shutdown() }
        _ = try await client.execute(
            HTTPRequest(method: "POST", url: server.baseURL + "/", headers: ["X-Blank": "  ", "X-Tab": "\t"], body: Data("x".utf8)))
        let headers = try #require(server.recordedRequests.first?.headers)
        #expect(headers["x-blank"] == "", "\(headers)")
        #expect(headers["x-tab"] == "", "\(headers)")
    }

    @Test("A server hanging up without answering fails with .connectionClosed")
    func serverHangsUp() async throws {
        let server = try LoopbackHTTPServer { _ in .closeConnection() }
        let client = try makeClient()
        defer { client.shutdown() }
        let error = await clientError {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.isTransient == true)
    }

    /// On a kept connection that closes before any byte of the answer, libcurl sends a request
    /// again by itself, unseen: a POST the server may have acted on is then made twice while the
    /// caller counts one. With `freshConnection` the request goes on a connection of its own, once,
    /// and the caller sees the close (and decides whether to try again).
    @Test func aFreshConnectionRequestIsNeverResentByLibcurl() async throws {
        let posts = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            guard request.method == "POST" else { return ScriptedResponse(body: "warm") }
            let number = posts.withLock { count in
                count += 1
                return count
            }
            return number == 1 ? .closeConnection() : ScriptedResponse(body: "done")
        }
        let client = try makeClient()
        defer { client.shutdown() }
        let write = HTTPRequest(method: "POST", url: server.baseURL + "/write", body: Data("x".utf8))

        // On the connection the GET left open: libcurl's own resend answers it.
        _ = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/warm"))
        let resent = try await client.execute(write)
        #expect(resent.status == 200)
        #expect(posts.withLock { $0 } == 2, "libcurl resent the POST by itself")

        posts.withLock { $0 = 0 }
        _ = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/warm"))
        var once = write
        once.options.freshConnection = true
        let error = await clientError { try await client.execute(once) }
        #expect(error?.code == .connectionClosed)
        #expect(posts.withLock { $0 } == 1, "sent once")
        let connections = server.recordedRequests.map(\.connectionNumber)
        #expect(connections.last != connections.dropLast().last, "the POST went on a connection of its own: \(connections)")
    }

    @Test("Cancelling the calling task throws .cancelled promptly")
    func cancellation() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "late", delay: .seconds(10)) }
        let client = try makeClient()
        defer { client.shutdown() }
        let task = Task { () async -> HTTPClientError? in
            await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/")) }
        }
        // Wait until the request reached the server, then cancel.
        try #require(await eventually { server.requestsServed > 0 })
        task.cancel()
        let error = await task.value
        // A client that ignored cancellation would have returned the late answer instead.
        #expect(error?.code == .cancelled)

        // The client still works afterwards.
        let fast = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let response = try await client.execute(HTTPRequest(method: "GET", url: fast.baseURL + "/"))
        #expect(response.status == 200)
    }

    @Test("A task cancelled before the call throws .cancelled without sending")
    func cancelledBeforeStart() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "ok") }
        let client = try makeClient()
        defer { client.shutdown() }
        let task = Task { () async -> HTTPClientError? in
            while !Task.isCancelled { await Task.yield() }
            return await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        }
        task.cancel()
        #expect(await task.value?.code == .cancelled)
        #expect(server.requestsServed == 0)
    }

    @Test("shutdown() fails requests in flight and later ones with .cancelled")
    func shutdownCancels() async throws {
        let server = try LoopbackHTTPServer { _ in ScriptedResponse(body: "late", delay: .seconds(10)) }
        let client = try makeClient()
        let task = Task {
            await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        }
        try #require(await eventually { server.requestsServed > 0 })
        client.shutdown()
        #expect(await task.value?.code == .cancelled)
        let later = await clientError { try await client.execute(HTTPRequest(method: "GET", url: server.baseURL)) }
        #expect(later?.code == .cancelled)
        client.shutdown()  // idempotent
    }

    @Test("Response headers are those of the last response, after 100-continue")
    func headersOfLastResponse() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 503, headers: ["X-Amzn-ErrorType": "ThrottlingException", "X-Two": "a"])
        }
        let client = try makeClient()
        defer { client.shutdown() }
        // Ask for 100-continue explicitly so the server sends an interim response first.
        let response = try await client.execute(
            HTTPRequest(
                method: "POST", url: server.baseURL + "/", headers: ["Expect": "100-continue"],
                body: Data(repeating: 0x62, count: 2048)
            )
        )
        #expect(response.status == 503)
        #expect(response.headers["x-amzn-errortype"] == "ThrottlingException")
        #expect(response.headers.fields.map(\.name).contains("X-Two"))
        #expect(!response.headers.fields.contains { $0.name.hasPrefix("HTTP/") })
    }

    @Test("Invalid input is a typed error, not a crash")
    func invalidInput() async throws {
        let client = try makeClient()
        defer { client.shutdown() }
        let scheme = await clientError { try await client.execute(HTTPRequest(method: "GET", url: "ftp://127.0.0.1/")) }
        #expect(scheme?.code == .invalidURL)
        let malformed = await clientError { try await client.execute(HTTPRequest(method: "GET", url: "http://[::1")) }
        #expect(malformed?.code == .invalidURL)
        let injected = await clientError {
            try await client.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", headers: ["X-Bad": "a\r\nX-Injected: b"])
            )
        }
        #expect(injected?.code == .other)
        #expect(injected?.message.contains("X-Injected") == false)
    }
}
