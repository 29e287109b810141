import Foundation
import Logging
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// What one peer, or many, can make the server spend: log lines, descriptors, memory, time.
@Suite struct SocketServerLimitsTests {
    func startServer(
        _ dir: TestDirectory, policy: PeerPolicy = PeerPolicy(), limits: SocketServer.Limits = .init(),
        logLimiter: LogRateLimiter = LogRateLimiter(), logger: Logger = quietLogger, mode: UInt16 = 0o660,
        handler: @escaping SocketServer.Handler
    ) throws -> (SocketServer, String) {
        let path = dir.file("d.sock")
        let server = SocketServer(
            listener: .path(path, mode: mode), policy: policy, limits: limits, logLimiter: logLimiter, logger: logger,
            handler: handler)
        try server.start()
        return (server, path)
    }

    @Test func warningsPeersProvokeAreRateLimitedWithASuppressedCount() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let clock = ManualClock()
        let limiter = LogRateLimiter(burst: 1, interval: .seconds(60), now: { clock.now })
        let (server, path) = try startServer(
            dir, policy: PeerPolicy(allowedUsers: ["daemon"], allowedGroups: ["daemon"]),
            limits: .init(maximumLineBytes: 16), logLimiter: limiter, logger: recorder.logger(), mode: 0o666,
            handler: EchoHandler().handler)
        defer { server.shutdown() }
        for _ in 0..<5 {
            let client = try RawClient(path: path)
            client.write(String(repeating: "x", count: 100) + "\n")
            let received = try await offPool { client.readUntilClosed() }
            #expect(received.hasPrefix(#"{"error":"LineTooLong""#))
        }
        for _ in 0..<3 {
            #expect(try await runAsNobody(socket: path).hasPrefix(#"{"error":"PeerNotAllowed""#))
        }
        #expect(recorder.records.filter { $0.contains("line over the limit") }.count == 1)
        #expect(recorder.records.filter { $0.contains("peer not allowed") }.count == 1)
        clock.advance(by: .seconds(60))
        limiter.flush()
        let summaries = recorder.records.filter { $0.contains("suppressed=") }
        #expect(summaries.contains { $0.contains("line over the limit") && $0.contains("suppressed=4") }, "\(summaries)")
        #expect(summaries.contains { $0.contains("peer not allowed") && $0.contains("suppressed=2") }, "\(summaries)")
    }
}
