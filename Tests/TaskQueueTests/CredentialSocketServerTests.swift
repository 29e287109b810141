import Foundation
import Glibc
import Logging
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// The credentials socket's server: one request per connection, told by who the peer is and the
/// address it bound; bounded in connections and in time.
@Suite struct CredentialSocketServerTests {
    func start(
        _ dir: TestDirectory, limits: CredentialSocketServer.Limits = .init(), logger: Logger = quietLogger,
        describe: @escaping CredentialSocketServer.Describer = { _ in [:] },
        beforeStart: (CredentialSocketServer) -> Void = { _ in },
        handler: @escaping CredentialSocketServer.Handler
    ) throws -> (CredentialSocketServer, String) {
        let path = dir.file("c.sock")
        let server = CredentialSocketServer(
            listener: .path(path), limits: limits, logLimiter: LogRateLimiter(), logger: logger,
            describe: describe, handler: handler)
        beforeStart(server)
        try server.start()
        return (server, path)
    }

    @Test func theHandlerSeesThePeerAndItsAddressAndItsAnswerIsWrittenThenClosed() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let seen = Mutex<[CredentialSocketServer.Request]>([])
        let (server, path) = try start(dir) { request in
            seen.withLock { $0.append(request) }
            if request.sunPath.isEmpty { return .value(Data()) }
            if request.sunPath.count > 1, request.sunPath[1] == UInt8(ascii: "r") { return .refuse }
            return .value(Data("value-for-\(request.peer.uid)".utf8))
        }
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let marker = UUID().uuidString
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)

        let bound = try RawClient(path: path, boundTo: "1f/unit/app.service/\(marker)")
        #expect(try await offPool { bound.readUntilClosed() } == "value-for-\(getuid())")
        let unbound = try RawClient(path: path)
        #expect(try await offPool { unbound.readUntilClosed() } == "")
        // A refusal: more than systemd takes for one credential, the line naming the journal.
        let refused = try RawClient(path: path, boundTo: "r1/unit/intruder.service/\(marker)")
        let refusal = try await offPool { refused.readUntilClosed() }
        #expect(refusal.utf8.count == CredentialSocketServer.refusalLength)
        #expect(refusal.utf8.count > 1 << 20)
        let line = String(decoding: CredentialSocketServer.refusalLine, as: UTF8.self)
        #expect(refusal.hasPrefix(line + line) && line.contains("journalctl -u secrets-delegate"))
        #expect(Set(refusal.split(separator: "\n").dropLast()) == [Substring(line.dropLast())])

        let requests = seen.withLock { $0 }.filter { $0.sunPath.count < 2 || $0.sunPath[1] != UInt8(ascii: "r") }
        #expect(requests.count == 2)
        #expect(requests.first?.sunPath == [0] + Array("1f/unit/app.service/\(marker)".utf8))
        #expect(requests.first?.peer.uid == getuid())
        #expect(requests.last?.sunPath == [])
        #expect(await eventually { server.connectionCount == 0 })
        await server.stopAccepting()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// A handler answering 16 MiB (more than any socket buffer holds, so the write waits for a
    /// reader) to addresses starting with `b`, `small` to the others; it counts its calls.
    static func bigOrSmall(_ calls: CallCounter) -> CredentialSocketServer.Handler {
        { request in
            calls.increment()
            return .value(
                request.sunPath.count > 1 && request.sunPath[1] == UInt8(ascii: "b")
                    ? Data(repeating: UInt8(ascii: "x"), count: 16 << 20) : Data("small".utf8))
        }
    }

    /// Fills a cap of one request with a peer that takes nothing of its 16 MiB answer (see
    /// ``bigOrSmall(_:)``), then makes a second request, which waits unanswered.
    func fillTheCapOfOne(_ path: String, calls: CallCounter) async throws -> (silent: RawClient, waiting: RawClient) {
        let silent = try RawClient(path: path, boundTo: "big-\(UUID().uuidString)")
        #expect(await eventually { calls.count == 1 })
        let waiting = try RawClient(path: path, boundTo: "a-\(UUID().uuidString)")
        #expect(try await offPool { waiting.readUntilClosed(timeout: .milliseconds(500)) } == "<timeout>")
        return (silent, waiting)
    }

    /// Beyond the cap a request waits, unanswered, for a free slot: a refusal or an EOF would
    /// decide its unit's start (fail it, or start it with an empty credential).
    /// A request that comes after the owner's handler calls ended (its task cancelled) is
    /// refused at once, not left to the request timeout.
    @Test func aRequestAfterTheHandlerCallsEndedIsRefused() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let (server, path) = try start(
            dir, limits: .init(requestTimeout: .seconds(600)), handler: Self.bigOrSmall(calls))
        defer { server.shutdown() }
        let running = Task { await server.run() }
        running.cancel()
        await running.value
        let client = try RawClient(path: path, boundTo: "x1/unit/app.service/late")
        let answer = try await offPool { client.readUntilClosed(timeout: .seconds(30)) }
        #expect(answer.utf8.count == CredentialSocketServer.refusalLength)
        #expect(calls.count == 0)
        #expect(await eventually(within: .seconds(30)) { server.connectionCount == 0 })
    }

    @Test func beyondTheConnectionCapARequestWaitsForAFreeSlot() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let recorder = LogRecorder()
        let (server, path) = try start(
            dir, limits: .init(maximumConnections: 1, requestTimeout: .seconds(600)), logger: recorder.logger(),
            handler: Self.bigOrSmall(calls))
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test

        let (silent, waiting) = try await fillTheCapOfOne(path, calls: calls)
        #expect(calls.count == 1)
        #expect(server.connectionCount == 1)
        // Why units stall, said once (rate-limited), with the cap.
        #expect(
            await eventually {
                recorder.records.contains {
                    $0.hasPrefix("warning credentials socket full: new requests wait") && $0.contains("limit=1")
                }
            }, "\(recorder.records)")
        // The silent peer goes away: its slot is free, and the waiting request is served.
        silent.close()
        #expect(try await offPool { waiting.readUntilClosed() } == "small")
        #expect(calls.count == 2)
    }

    /// A raised cap (a reload) frees a request waiting beyond the old one at the next accept.
    @Test func aRaisedCapServesAWaitingRequest() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let (server, path) = try start(
            dir, limits: .init(maximumConnections: 1, requestTimeout: .seconds(600)), handler: Self.bigOrSmall(calls))
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test

        let (silent, waiting) = try await fillTheCapOfOne(path, calls: calls)
        server.update(limits: .init(maximumConnections: 2, requestTimeout: .seconds(600)))
        #expect(server.currentLimits.maximumConnections == 2)
        #expect(try await offPool { waiting.readUntilClosed() } == "small")
        #expect(calls.count == 2)
        silent.close()
    }

    @Test func aRequestNotAnsweredByTheDeadlineGetsTheRefusalNeverAnEOF() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let cancelled = CallCounter()
        let (server, path) = try start(
            dir, limits: .init(maximumConnections: 4, requestTimeout: .seconds(1), drainTimeout: .seconds(30))
        ) { request in
            try? await Task.sleep(for: .seconds(600))
            // Marked before the cancel: the handler tells the timeout from a stop.
            if Task.isCancelled, request.timeout.hasPassed { cancelled.increment() }
            return .value(Data("too late".utf8))
        }
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try RawClient(path: path, boundTo: "1f/unit/slow.service/db")
        let answer = try await offPool { client.readUntilClosed() }
        #expect(answer.utf8.count == CredentialSocketServer.refusalLength)
        #expect(!answer.contains("too late"))
        #expect(await eventually { cancelled.count == 1 && server.connectionCount == 0 })
    }

    /// A peer the kernel cannot name (`SO_PEERCRED` failing) may still be systemd's helper: it gets
    /// the refusal, never an EOF, and the handler is never asked.
    @Test func aPeerWhoseCredentialsCannotBeReadIsRefusedNeverAnEOF() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let recorder = LogRecorder()
        let path = dir.file("c.sock")
        let server = CredentialSocketServer(
            listener: .path(path), logLimiter: LogRateLimiter(), logger: recorder.logger(),
            handler: { _ in
                calls.increment()
                return .value(Data("the value".utf8))
            })
        server.peerCall = { _ throws(TaskQueueError) in
            throw .system("getsockopt(SO_PEERCRED)", path: nil, errno: EINVAL)
        }
        try server.start()
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try RawClient(path: path, boundTo: "3f/unit/app.service/db")
        let answer = try await offPool { client.readUntilClosed() }
        #expect(answer.utf8.count == CredentialSocketServer.refusalLength)
        #expect(calls.count == 0)
        #expect(recorder.records.contains { $0.contains("cannot read a credential requester's credentials; refused") })
        #expect(await eventually { server.connectionCount == 0 })
    }

    /// A server whose handler holds every request for ten minutes, and a request of `unit`'s it
    /// holds (its handler called).
    func holdingARequest(in dir: TestDirectory, unit: String, logger: Logger = quietLogger) async throws
        -> (CredentialSocketServer, RawClient, CallCounter)
    {
        let calls = CallCounter()
        let (server, path) = try start(dir, logger: logger) { _ in
            calls.increment()
            try? await Task.sleep(for: .seconds(600))
            return .value(Data("too late".utf8))
        }
        let client = try RawClient(path: path, boundTo: "2f/unit/\(unit)/db")
        return (server, client, calls)
    }

    /// A stop (``CredentialSocketServer/close()``) refuses the requests it finds unanswered and
    /// lets the refusal be read: an EOF would start their units with an empty credential.
    @Test func aCloseRefusesWhatIsUnansweredNeverAnEOF() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let (server, client, calls) = try await holdingARequest(
            in: dir, unit: "stopping.service", logger: recorder.logger())
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        #expect(await eventually { calls.count == 1 })
        async let closed: Void = server.close()
        let answer = try await offPool { client.readUntilClosed() }
        await closed
        #expect(answer.utf8.count == CredentialSocketServer.refusalLength)
        #expect(!answer.contains("too late"))
        #expect(server.connectionCount == 0)
        // The line to look for when a unit failed as the delegate stopped, with how many.
        let closing = recorder.records.filter { $0.contains("credentials socket closing") }
        #expect(closing.count == 1 && closing.first?.contains("refused=1") == true, "\(recorder.records)")
    }

    /// A close from a cancelled task (a start that failed cancels every service) still lets the
    /// refusal be read whole: cut off, it would read as a credential under 1 MiB, and its unit
    /// would start with it.
    @Test func aCloseFromACancelledTaskStillLetsTheRefusalBeRead() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (server, client, calls) = try await holdingARequest(in: dir, unit: "failed-start.service")
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        #expect(await eventually { calls.count == 1 })
        // The helper reads a moment later, as systemd's may: the refusal is more than a socket
        // buffer. (The pause on the reader's own thread: a test task held up on a busy host past
        // the close's 2 s drain would read a refusal the close had cut short by then.)
        async let answer = offPool { () -> String in
            usleep(300_000)
            return client.readUntilClosed()
        }
        let closing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await server.close()
        }
        let text = try await answer
        await closing.value
        #expect(text.utf8.count == CredentialSocketServer.refusalLength)
    }

    @Test func aPeerThatNeverReadsIsClosedAtTheDeadline() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let recorder = LogRecorder()
        let (server, path) = try start(
            dir, limits: .init(maximumConnections: 1, requestTimeout: .seconds(1), drainTimeout: .seconds(1)),
            logger: recorder.logger(),
            describe: { request in ["unit": "\(String(decoding: request.sunPath.dropFirst(), as: UTF8.self))"] },
            handler: Self.bigOrSmall(calls))
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test

        let address = "big-\(UUID().uuidString)"
        let silent = try RawClient(path: path, boundTo: address)
        #expect(await eventually { calls.count == 1 })
        // Closed at its deadline although the peer is still there, short of the whole value.
        #expect(await eventually { server.connectionCount == 0 })
        let partial = try await offPool { silent.readUntilClosed() }
        #expect(partial.utf8.count < 16 << 20)
        // What the peer read then looks whole to it: the journal says it was not.
        // (The value as a rule; the refusal if this busy machine let the request's second pass first.)
        let cutShort = recorder.records.filter { $0.contains("credential answer cut short") }
        #expect(cutShort.count == 1, "\(recorder.records)")
        func field(_ name: String) -> Int? {
            cutShort.first?.split(separator: " ").first { $0.hasPrefix(name + "=") }.flatMap {
                Int($0.dropFirst(name.count + 1))
            }
        }
        let total = try #require(field("answer_bytes"), "\(cutShort)")
        #expect([16 << 20, CredentialSocketServer.refusalLength].contains(total))
        #expect(try #require(field("written_bytes")) < total)
        // Which unit got the part: the describer's fields and the peer are on the line.
        #expect(cutShort.first?.contains("unit=\(address)") == true, "\(cutShort)")
        #expect(cutShort.first?.contains("peer_uid=\(getuid())") == true, "\(cutShort)")
    }

    /// A send that fails part way for a reason other than the peer leaving (ENOBUFS under memory
    /// pressure): what the peer read looks whole to it, so the journal says it was not.
    @Test(.timeLimit(.minutes(1))) func aSendThatFailsPartWayIsReportedAsCutShort() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let sends = Mutex(0)
        let (server, path) = try start(
            dir, logger: recorder.logger(),
            beforeStart: { server in
                // The first send takes 1,000 bytes; the next fails as under memory pressure.
                server.sendCall = { fd, bytes, count in
                    let call = sends.withLock { count in
                        defer { count += 1 }
                        return count
                    }
                    guard call == 0 else { return (-1, ENOBUFS) }
                    let sent = Glibc.send(fd, bytes, min(count, 1000), Int32(MSG_NOSIGNAL))
                    return (sent, sent < 0 ? errno : 0)
                }
            },
            handler: { _ in .value(Data(repeating: UInt8(ascii: "v"), count: 2000)) })
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test

        let client = try RawClient(path: path, boundTo: "2a/unit/app.service/db")
        let partial = try await offPool { client.readUntilClosed() }
        #expect(partial.utf8.count == 1000)
        let cutShort = recorder.records.filter { $0.contains("credential answer cut short") }
        #expect(cutShort.count == 1, "\(recorder.records)")
        #expect(cutShort.first?.contains("sending it failed") == true, "\(cutShort)")
        #expect(cutShort.first?.contains("written_bytes=1000") == true, "\(cutShort)")
        #expect(cutShort.first?.contains("answer_bytes=2000") == true, "\(cutShort)")
    }

    /// Several units cut short at once (a stop, a hung boot) are each named: the error is
    /// rate-limited per unit the service manager (root) asked for, not once for all.
    @Test(.enabled(if: getuid() == 0, "the service manager's requests come from root"))
    func eachUnitCutShortIsNamed() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let calls = CallCounter()
        let recorder = LogRecorder()
        let (server, path) = try start(
            dir, limits: .init(maximumConnections: 8, requestTimeout: .seconds(1), drainTimeout: .seconds(1)),
            logger: recorder.logger(),
            describe: { request in ["unit": "\(String(decoding: request.sunPath.dropFirst(), as: UTF8.self))"] },
            handler: Self.bigOrSmall(calls))
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let addresses = (1...5).map { "big-\($0)-\(UUID().uuidString)" }
        let silent = try addresses.map { try RawClient(path: path, boundTo: $0) }
        #expect(await eventually { calls.count == 5 })
        #expect(await eventually { server.connectionCount == 0 })
        let cutShort = recorder.records.filter { $0.contains("credential answer cut short") }
        for address in addresses {
            #expect(cutShort.contains { $0.contains("unit=\(address)") }, "\(address) not named: \(cutShort)")
        }
        _ = silent
    }
}
