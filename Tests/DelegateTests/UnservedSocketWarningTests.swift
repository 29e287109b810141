import Foundation
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

    @Test func aTaskSocketAtAnotherPathThanSocketPathIsNamed() {
        let recorder = LogRecorder()
        let passed = ListenedSockets.Assignment(task: 3, taskPath: "/run/x/delegate.sock", credentials: 4)
        DaemonLauncher.warnOfSocketPath(passed, configured: "/run/other.sock", logger: recorder.logger())
        DaemonLauncher.warnOfSocketPath(passed, configured: "", logger: recorder.logger())

        let records = recorder.records
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.hasPrefix("warning ") && $0.contains("event=socket-path-differs") })
        #expect(records.allSatisfy { $0.contains("socket=/run/x/delegate.sock") })
        #expect(records.first?.contains("socket_path=/run/other.sock") == true)
        #expect(records.last?.contains("stop and mask secrets-delegate.socket") == true)
    }

    @Test func aTaskSocketAtSocketPathOrNoneIsNotNamed() throws {
        let recorder = LogRecorder()
        let path = "/run/x/delegate.sock"
        DaemonLauncher.warnOfSocketPath(
            ListenedSockets.Assignment(task: 3, taskPath: path), configured: path, logger: recorder.logger())
        DaemonLauncher.warnOfSocketPath(ListenedSockets.Assignment(credentials: 4), configured: "", logger: recorder.logger())
        // Another spelling of the same file (a link to its directory, as /var/run is to /run).
        let directory = try TemporaryDirectory(prefix: "socket-path")
        let socketPath = directory.path("d.sock")
        #expect(FileManager.default.createFile(atPath: socketPath, contents: nil))
        try FileManager.default.createSymbolicLink(atPath: directory.path("var-run"), withDestinationPath: directory.url.path)
        DaemonLauncher.warnOfSocketPath(
            ListenedSockets.Assignment(task: 3, taskPath: socketPath), configured: directory.path("var-run/d.sock"),
            logger: recorder.logger())
        // A socket whose path is unknown (abstract) cannot be compared.
        DaemonLauncher.warnOfSocketPath(ListenedSockets.Assignment(task: 3), configured: path, logger: recorder.logger())
        #expect(recorder.records.isEmpty)
    }
}
