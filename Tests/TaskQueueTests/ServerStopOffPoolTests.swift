import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// The servers' stop paths suspend their async callers while the server's queue is busy; they
/// never block a thread of the cooperative pool (which `queue.sync` would).
@Suite struct ServerStopOffPoolTests {
    @Test func stoppingTheTaskSocketWhileItsQueueIsBusyLeavesThePoolFree() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let server = SocketServer(
            listener: .path(dir.file("d.sock")), logger: quietLogger, handler: EchoHandler().handler)
        try server.start()
        defer { server.shutdown() }
        #expect(try await Self.poolStaysFree(whileBusy: server.queue) { await server.stopAccepting() })
        #expect(try await Self.poolStaysFree(whileBusy: server.queue) { await server.close() })
        #expect(!FileManager.default.fileExists(atPath: dir.file("d.sock")))
    }

    @Test func stoppingTheCredentialsSocketWhileItsQueueIsBusyLeavesThePoolFree() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let server = CredentialSocketServer(
            listener: .path(dir.file("c.sock")), logLimiter: LogRateLimiter(), logger: quietLogger,
            handler: { _ in .value(Data()) })
        try server.start()
        defer { server.shutdown() }
        #expect(try await Self.poolStaysFree(whileBusy: server.queue) { await server.stopAccepting() })
        #expect(
            try await Self.poolStaysFree(whileBusy: server.queue) { await server.waitUntilIdle(timeout: .seconds(90)) })
        #expect(try await Self.poolStaysFree(whileBusy: server.queue) { await server.close() })
        #expect(!FileManager.default.fileExists(atPath: dir.file("c.sock")))
    }

    /// Holds `queue` busy, calls `stop` from more tasks than the pool has threads, and reports
    /// whether a task started after them still ran. A blocking `stop` would hold every pool
    /// thread until the queue is free: the check then fails after 30 s (the queue is freed from
    /// a thread of its own, so the test ends either way).
    static func poolStaysFree(
        whileBusy queue: DispatchQueue, _ stop: @escaping @Sendable () async -> Void
    ) async throws -> Bool {
        let busy = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        queue.async {
            held.signal()
            busy.wait()
        }
        try await offPool { held.wait() }
        let ran = DispatchSemaphore(value: 0)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<(4 * ProcessInfo.processInfo.activeProcessorCount + 4) {
                group.addTask { await stop() }
            }
            group.addTask { ran.signal() }
            let progressed = try await offPool {
                defer { busy.signal() }
                return ran.wait(timeout: .now() + 30) == .success
            }
            try await group.waitForAll()
            return progressed
        }
    }
}
