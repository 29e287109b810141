import Delegate
import DelegateClient
import Foundation
import Glibc
import LineSocket
import Logging
@testable import TaskQueue
import TestSupport
import Testing

/// The command line's socket clients end at their own timeouts, not never, on a delegate whose
/// listen backlog is full or that reads nothing (docs/INTERFACE.md section 10).
@Suite struct SocketClientTimeoutTests {
    /// A listener at `path` whose first connection a thread of its own accepts and hands to
    /// `serve`, then closes (the caller closes the listener).
    private static func serveOneConnection(at path: String, _ serve: @escaping @Sendable (Int32) -> Void) throws -> Int32 {
        let listener = try UnixListener.listen(at: path, backlog: 4)
        Thread {
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            serve(peer)
            close(peer)
        }.start()
        return listener
    }

    /// Sends `line` and a newline to `peer`; false once the peer is gone.
    private static func send(_ line: String, to peer: Int32) -> Bool {
        Array(line.utf8 + [0x0A]).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } > 0
    }

    /// A listener at `path` whose backlog is full: connections that no one accepts fill it.
    private func fullBacklog(at path: String) throws -> (listener: Int32, fillers: [LineSocketClient]) {
        let listener = try UnixListener.listen(at: path, backlog: 0)
        var fillers: [LineSocketClient] = []
        while fillers.count < 8, let filler = try? LineSocketClient.connect(path: path, timeout: .milliseconds(200)) {
            fillers.append(filler)
        }
        return (listener, fillers)
    }

    @Test func submitSaysWhenTheDelegateReadsNothingOfTheTask() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("deaf.sock")
        let listener = try UnixListener.listen(at: path, backlog: 4)
        defer { close(listener) }
        // Larger than a Unix socket's buffers, within the 1 MiB a task may have.
        let task = Data(#"{"id":"big","pad":"\#(String(repeating: "x", count: 900_000))"}"#.utf8)
        let started = ContinuousClock.now
        let outcome = await TaskSubmitter(destination: .socket(path), wait: true, timeout: .milliseconds(300)).submit(task)
        #expect(outcome.status == 69)
        #expect(outcome.errorOutput.contains("the delegate read nothing of the task within 0.3 seconds"), "\(outcome.errorOutput)")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A result cut short by the delegate's end (killed in the middle of writing it: no newline
    /// before the close) is never printed, part of a secret as it may be: `submit --wait` says the
    /// connection closed in the middle of an answer, 69.
    @Test func aResultCutShortIsNotPrinted() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("killed.sock")
        let listener = try Self.serveOneConnection(at: path) { peer in
            var byte: UInt8 = 0
            while recv(peer, &byte, 1, 0) == 1, byte != 0x0A {}
            let part = #"{"id":"mine","status":"succeeded","result":{"value":"s3cr"#
            _ = Array(part.utf8).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        defer { close(listener) }
        let task = Data(#"{"id":"mine","connector":"c","operation":"getSecretValue","params":{"name":"db"}}"#.utf8)
        let outcome = await TaskSubmitter(destination: .socket(path), wait: true, timeout: .seconds(20)).submit(task)
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty, "\(outcome.output)")
        #expect(!outcome.errorOutput.contains("s3cr"))
        #expect(outcome.errorOutput.contains("closed the connection in the middle of an answer"), "\(outcome.errorOutput)")
    }

    /// Other tasks' results that keep coming until the time is up are no closed connection:
    /// `submit --wait` says no result came in time.
    @Test func submitSaysNoResultCameInTimeWhileOtherResultsKeptComing() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("busy.sock")
        let line =
            #"{"id":"another-task","status":"succeeded","operation":"getSecretValue","connectorId":"c","#
            + #""delegate":"d","receivedAt":"2026-11-21T12:00:00.000Z","finishedAt":"2026-11-21T12:00:00.042Z","#
            + #""attempts":1,"result":{"name":"db"}}"#
        // Until the client hangs up (EPIPE; SIGPIPE is ignored by the test process).
        let listener = try Self.serveOneConnection(at: path) { peer in
            while Self.send(line, to: peer) { usleep(1_000) }
        }
        defer { close(listener) }
        let task = Data(#"{"id":"mine","connector":"c","operation":"getSecretValue","params":{"name":"db"}}"#.utf8)
        let outcome = await TaskSubmitter(destination: .socket(path), wait: true, timeout: .milliseconds(300)).submit(task)
        #expect(outcome.status == 69)
        #expect(outcome.errorOutput.contains("no result within 0.3 seconds"), "\(outcome.errorOutput)")
    }

    @Test func statusEndsAtItsTimeoutOnAFullBacklog() throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("full.sock")
        let (listener, fillers) = try fullBacklog(at: path)
        defer { close(listener) }
        let started = ContinuousClock.now
        let outcome = StatusQuery(socketPath: path, timeout: .milliseconds(300)).run()
        #expect(outcome.status == 69)
        #expect(outcome.errorOutput.contains("TimedOut: no connection accepted"), "\(outcome.errorOutput)")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(!fillers.isEmpty)
    }

    @Test func getEndsAtItsTimeoutOnAFullBacklog() throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("full.sock")
        let (listener, fillers) = try fullBacklog(at: path)
        defer { close(listener) }
        let started = ContinuousClock.now
        let outcome = SecretFetcher(socketPath: path, timeout: .milliseconds(300)).get(connector: "prod", name: "db")
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("cannot be reached: TimedOut: no connection accepted"), "\(outcome.errorOutput)")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(!fillers.isEmpty)
    }

    /// A connect that waits most of the timeout on a full backlog leaves the result its whole
    /// timeout (INTERFACE section 10: the bound holds for each step), not what the connect left.
    /// (Seconds long, so that a loaded machine's late thread cannot make the connect or the
    /// answer miss its bound: each takes 11 of the 20, together 22. Off the test pool's threads,
    /// which the blocking calls would hold.)
    @Test func getWaitsItsWholeTimeoutForTheResultAfterASlowConnect() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-timeout")
        let path = directory.path("slow.sock")
        let (listener, fillers) = try fullBacklog(at: path)
        defer { close(listener) }
        #expect(!fillers.isEmpty)
        // The delegate frees its backlog after 11 s, then answers 11 s after it reads the task.
        let waiting = fillers.count
        Thread {
            Thread.sleep(forTimeInterval: 11)
            for _ in 0..<waiting { close(accept(listener, nil, nil)) }
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            defer { close(peer) }
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while recv(peer, &byte, 1, 0) == 1, byte != 0x0A { line.append(byte) }
            guard let task = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return }
            Thread.sleep(forTimeInterval: 11)
            _ = Self.send(FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"late"}"#), to: peer)
        }.start()
        let outcome = try await offPool { SecretFetcher(socketPath: path, timeout: .seconds(20)).get(connector: "prod", name: "db") }
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Array("late".utf8))
        for filler in fillers { filler.close() }
    }

    /// A task socket with no connection slot: it refuses every caller.
    private static func refusingServer(at path: String) throws -> SocketServer {
        let server = SocketServer(
            listener: .path(path, mode: 0o660), limits: .init(maximumConnections: 0),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            handler: { _, _ in nil })
        try server.start()
        return server
    }

    /// A socket that refuses the caller (here: no connection slot free) answers with its own
    /// error line, which is no status object: `status` exits 69 with the reason on stderr and
    /// prints nothing, so a health check does not pass on it.
    @Test func statusExits69WhenTheSocketRefusesTheCaller() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-refused")
        let path = directory.path("full.sock")
        let server = try Self.refusingServer(at: path)
        defer { server.shutdown() }
        // Many times: the refusal may come before the request is sent (which then breaks) or after.
        for _ in 0..<20 {
            let outcome = await Task.detached { StatusQuery(socketPath: path).run() }.value
            #expect(outcome.status == 69)
            #expect(outcome.output.isEmpty, "\(outcome.output)")
            #expect(outcome.errorOutput.hasPrefix("secrets-delegate: TooManyConnections: "), "\(outcome.errorOutput)")
        }
    }

    /// A status answer cut off by the close (the delegate killed as it wrote) is not printed:
    /// `status | jq` must not get half an object from a command that said it succeeded.
    @Test func statusCutOffByTheCloseIsNotPrinted() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-status-cut")
        let path = directory.path("cut.sock")
        let listener = try Self.serveOneConnection(at: path) { peer in
            var request = [UInt8](repeating: 0, count: 256)
            _ = recv(peer, &request, request.count, 0)
            _ = Array(#"{"name":"d","inFl"#.utf8).withUnsafeBytes { Glibc.send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        defer { close(listener) }
        let outcome = await Task.detached { StatusQuery(socketPath: path).run() }.value
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty, "\(outcome.output)")
        #expect(outcome.errorOutput.contains("in the middle of its answer"), "\(outcome.errorOutput)")
    }

    /// A delegate that refuses a connection answers and closes without reading: a task larger
    /// than the socket's buffers breaks the send, and the refusal, not "Broken pipe", is what
    /// `submit` reports.
    @Test func submitReportsTheRefusalThatBrokeItsSend() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-refused")
        let path = directory.path("refusing.sock")
        // With an escape sequence, which stderr gets escaped: whatever listens on the path wrote it.
        let listener = try Self.serveOneConnection(at: path) { peer in
            _ = Self.send(#"{"error":"TooManyConnections","message":"all 64 connections are in use\u001b[2J"}"#, to: peer)
        }
        defer { close(listener) }
        let task = Data(#"{"id":"big","pad":"\#(String(repeating: "x", count: 900_000))"}"#.utf8)
        let outcome = await TaskSubmitter(destination: .socket(path), wait: true, timeout: .seconds(10)).submit(task)
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty)
        #expect(
            outcome.errorOutput.hasPrefix("secrets-delegate: TooManyConnections: all 64 connections are in use"),
            "\(outcome.errorOutput)")
        #expect(!outcome.errorOutput.contains("\u{1B}"), "\(outcome.errorOutput)")
    }

    /// The refusal is the reason `get` and `submit` give, whether it came before or after they
    /// sent the task (the scheduler's choice, so tried many times): never "Broken pipe".
    @Test func getAndSubmitReportTheSocketsRefusalWhateverCameFirst() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-refused")
        let path = directory.path("full.sock")
        let server = try Self.refusingServer(at: path)
        defer { server.shutdown() }
        let task = Data(#"{"id":"mine","connector":"c","operation":"getSecretValue","params":{"name":"db"}}"#.utf8)
        for _ in 0..<20 {
            let got = await Task.detached { SecretFetcher(socketPath: path).get(connector: "prod", name: "db") }.value
            #expect(got.status == 69)
            #expect(got.output.isEmpty)
            #expect(got.errorOutput.contains("TooManyConnections"), "\(got.errorOutput)")
            let submitted = await TaskSubmitter(destination: .socket(path), wait: true, timeout: .seconds(10)).submit(task)
            #expect(submitted.status == 69)
            #expect(submitted.output.isEmpty, "\(submitted.output)")
            #expect(
                submitted.errorOutput.hasPrefix("secrets-delegate: TooManyConnections: "), "\(submitted.errorOutput)")
            // Without --wait too: a refused task was not submitted.
            let unwaited = await TaskSubmitter(destination: .socket(path), wait: false, timeout: .seconds(10)).submit(task)
            #expect(unwaited.status == 69)
            #expect(unwaited.output.isEmpty, "\(unwaited.output)")
        }
    }
}
