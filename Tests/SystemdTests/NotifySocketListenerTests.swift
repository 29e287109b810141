import Foundation
import TestSupport
import Testing

@Suite struct NotifySocketListenerTests {
    /// `systemd-notify` (libsystemd's own client) reaches the listener through `NOTIFY_SOCKET`,
    /// set in the child's environment only.
    @Test func collectsWhatSystemdNotifySends() async throws {
        let listener = try NotifySocketListener()
        defer { listener.close() }

        // --no-block: skip the BARRIER=1 handshake, which waits for a real service manager.
        let notify = try await ChildProcess.run(
            "/usr/bin/systemd-notify", ["--no-block", "--ready", "--status=x"], environment: ["NOTIFY_SOCKET": listener.path])
        #expect(notify.termination == .exited(0))

        let datagram = try await listener.waitForAssignment("READY=1")
        #expect(datagram == "READY=1\nSTATUS=x")
        #expect(listener.assignments == ["READY=1", "STATUS=x"])
    }

    @Test func timesOutWhenNothingArrives() async throws {
        let listener = try NotifySocketListener()
        defer { listener.close() }
        await #expect(throws: (any Error).self) {
            try await listener.waitForAssignment("READY=1", timeout: .milliseconds(100))
        }
        #expect(listener.datagrams.isEmpty)
    }
}
