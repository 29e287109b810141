import Systemd
import TestSupport
import Testing

@testable import Delegate

/// The start names each descriptor systemd passed that the delegate does not serve.
@Suite struct UnservedSocketWarningTests {
    typealias Named = ListenedSockets.Named

    @Test func eachDescriptorNotServedIsNamedOnceInDescriptorOrder() {
        let recorder = LogRecorder()
        let assignment = ListenedSockets.Assignment(
            task: 3, credentials: 4,
            extraTask: [Named(descriptor: 6, name: "secrets-delegate.socket", path: "/run/x/extra.sock")],
            unusable: [Named(descriptor: 5, name: "dgram", path: "/run/x/extra.dgram")])
        DaemonLauncher.warnOfUnserved(assignment, logger: recorder.logger())

        let records = recorder.records
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.hasPrefix("warning ") && $0.contains("event=socket-not-served") })
        #expect(records.first?.contains("not a listening Unix stream socket") == true)
        #expect(records.first?.contains("fd=5 fd_name=dgram") == true)
        #expect(records.first?.contains("socket=/run/x/extra.dgram") == true)
        #expect(records.last?.contains("second task socket") == true)
        #expect(records.last?.contains("fd=6 fd_name=secrets-delegate.socket") == true)
        #expect(records.last?.contains("socket=/run/x/extra.sock") == true)
    }

    @Test func nothingIsLoggedWhenEveryDescriptorIsServed() {
        let recorder = LogRecorder()
        DaemonLauncher.warnOfUnserved(ListenedSockets.Assignment(task: 3, credentials: 4), logger: recorder.logger())
        DaemonLauncher.warnOfUnserved(ListenedSockets.Assignment(), logger: recorder.logger())
        #expect(recorder.records.isEmpty)
    }
}
