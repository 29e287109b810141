import Foundation
import Glibc
import TestSupport
import Testing

@testable import TaskQueue

/// The credentials socket shares the task socket's accept loop: an accept failure pauses
/// accepting, and the episode is logged when it starts and when accepting works again.
@Suite struct CredentialSocketAcceptTests {
    @Test func anAcceptFailureEpisodeIsLoggedWhenItStartsAndWhenItEnds() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let recorder = LogRecorder()
        let path = dir.file("c.sock")
        let server = CredentialSocketServer(
            listener: .path(path), logLimiter: LogRateLimiter(), logger: recorder.logger(),
            handler: { _ in .value(Data("after-the-episode".utf8)) })
        server.acceptCall = FailingAccept(failures: 2).call
        try server.start()
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test

        let client = try RawClient(path: path)
        // The peer waits in the backlog through the failures, then gets its answer.
        #expect(try await offPool { client.readUntilClosed() } == "after-the-episode")
        let records = recorder.records
        let start = try #require(records.firstIndex { $0.contains("credentials socket out of file descriptors") })
        let end = try #require(records.firstIndex { $0.contains("credentials socket accepting new requests again") })
        #expect(start < end)
        #expect(records[start].contains("errno=\(EMFILE)"))
        #expect(records[end].contains("failed_accepts=2"), "got: \(records[end])")
        #expect(records[end].contains("refused=0"))
    }
}
