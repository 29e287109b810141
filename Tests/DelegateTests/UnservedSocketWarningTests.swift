import Foundation
import Synchronization
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
            extraCredentials: [Named(descriptor: 7, name: "credentials", path: "/run/x/other-credentials.sock")],
            unusable: [Named(descriptor: 5, name: "dgram", path: "/run/x/extra.dgram")])
        DaemonLauncher.warnOfUnserved(assignment, logger: recorder.logger())

        var records = recorder.records
        #expect(records.count == 3)
        #expect(records.last?.contains("second socket named credentials") == true, "\(records)")
        #expect(records.last?.contains("fd=7 fd_name=credentials") == true)
        records.removeLast()
        #expect(records.allSatisfy { $0.hasPrefix("warning ") && $0.contains("event=socket-not-served") })
        #expect(records.first?.contains("not a listening Unix stream socket") == true)
        #expect(records.first?.contains("fd=5 fd_name=dgram") == true)
        #expect(records.first?.contains("socket=/run/x/extra.dgram") == true)
        #expect(records.last?.contains("second task socket") == true)
        #expect(records.last?.contains("fd=6 fd_name=secrets-delegate.socket") == true)
        #expect(records.last?.contains("socket=/run/x/extra.sock") == true)
    }

    /// systemd binds a `/var/run/...` ListenStream= at `/run/...`: a credentials socket passed
    /// without its name is still found by a `credentials_socket_path` spelt under /var/run (else
    /// it would be served as the task socket, and the delegate's own bind of the configured path
    /// would find it listening and stop the start).
    @Test func theCredentialsSocketIsFoundUnderAnotherSpellingOfItsPath() throws {
        let real = try #require(realpath("/var/run", nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
        try #require(real == "/run", "/var/run is not a link to /run here")
        let name = "sd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        #expect(FileManager.default.createFile(atPath: "/run/" + name, contents: nil))
        defer { unlink("/run/" + name) }
        let sockets = [
            Named(descriptor: 3, name: "secrets-delegate.socket", path: "/run/x-task.sock"),
            Named(descriptor: 4, name: "secrets-delegate-credentials.socket", path: "/run/" + name),
        ]
        let assignment = ListenedSockets.assign(sockets, credentialsPath: "/var/run/" + name)
        #expect(assignment == ListenedSockets.Assignment(task: 3, taskPath: "/run/x-task.sock", credentials: 4))
        #expect(ListenedSockets.assign(sockets, credentialsPath: "/var/run/other.sock").credentials == nil)
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

    /// A credentials socket passed at another path than credentials_socket_path is named (units
    /// whose LoadCredential= names the configured path find nothing there); one at that path, or
    /// with the key empty, is not.
    @Test func aCredentialsSocketAtAnotherPathThanCredentialsSocketPathIsNamed() {
        let recorder = LogRecorder()
        let passed = "/run/secrets-delegate/credentials.sock"
        DaemonLauncher.warnOfCredentialsSocketPath(passed: passed, configured: "/run/secrets-delegate/creds.sock", logger: recorder.logger())
        DaemonLauncher.warnOfCredentialsSocketPath(passed: passed, configured: passed, logger: recorder.logger())
        DaemonLauncher.warnOfCredentialsSocketPath(passed: passed, configured: "", logger: recorder.logger())
        DaemonLauncher.warnOfCredentialsSocketPath(passed: "", configured: passed, logger: recorder.logger())
        let records = recorder.records
        #expect(records.count == 1, "\(records)")
        #expect(records.first?.hasPrefix("warning ") == true)
        #expect(records.first?.contains("event=socket-path-differs") == true)
        #expect(records.first?.contains("socket=\(passed)") == true)
        #expect(records.first?.contains("credentials_socket_path=/run/secrets-delegate/creds.sock") == true)
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

/// With PrivateTmp=yes (seen in mountinfo), a path under /tmp or /var/tmp is the service's own:
/// the start names each such path, but a socket systemd passed (its path is systemd's), and
/// nothing where /tmp is the host's (a hand run, a service without PrivateTmp=).
@Suite struct PrivateTmpWarningTests {
    static func configuration() throws -> DelegateConfiguration {
        try DelegateConfiguration.load(
            tomlText: """
                [delegate]
                name = "tmp-test"
                connectors_dir = "/var/tmp/connectors.d"
                [queue]
                spool_dir = "/tmp/spool"
                socket_path = "/tmp/delegate.sock"
                credentials_socket_path = "/run/secrets-delegate/credentials.sock"
                [credentials]
                directory = "/tmpfiles/keys"
                """,
            environment: [:], hostName: "tmp-test")
    }

    @Test(arguments: [true, false]) func pathsUnderTmpAreNamedInAService(socketPassed: Bool) throws {
        let recorder = LogRecorder()
        let assignment = ListenedSockets.Assignment(
            task: socketPassed ? 3 : nil, credentials: nil, extraTask: [], extraCredentials: [], unusable: [])
        DaemonLauncher.warnOfPrivateTmp(
            try Self.configuration(), inherited: assignment,
            isPrivateTmp: { DaemonLauncher.hasPrivateTmp(mountinfo: Self.privateTmp) }, logger: recorder.logger())
        let warned = recorder.records.filter { $0.contains("event=private-tmp-path") }
        #expect(warned.allSatisfy { $0.hasPrefix("warning ") && $0.contains("PrivateTmp=yes") })
        let paths = warned.compactMap { $0.split(separator: " ").first { $0.hasPrefix("path=") } }.map(String.init)
        let expected = ["path=/tmp/spool"] + (socketPassed ? [] : ["path=/tmp/delegate.sock"]) + ["path=/var/tmp/connectors.d"]
        #expect(paths == expected, "\(recorder.records)")

        let byHand = LogRecorder()
        DaemonLauncher.warnOfPrivateTmp(
            try Self.configuration(), inherited: assignment,
            isPrivateTmp: { DaemonLauncher.hasPrivateTmp(mountinfo: Self.sharedTmp) }, logger: byHand.logger())
        #expect(byHand.records.isEmpty, "a /tmp of the host's is everyone's")

        // No path under /tmp: /tmp is not looked at.
        var elsewhere = try Self.configuration()
        elsewhere.queue.spoolDir = "/var/lib/secrets-delegate/spool"
        elsewhere.queue.socketPath = "/run/secrets-delegate/delegate.sock"
        elsewhere.delegate.connectorsDir = ""
        let asked = Mutex(0)
        DaemonLauncher.warnOfPrivateTmp(
            elsewhere, inherited: assignment, isPrivateTmp: { asked.withLock { $0 += 1 }; return true },
            logger: byHand.logger())
        #expect(asked.withLock { $0 } == 0 && byHand.records.isEmpty)
    }

    /// At a reload: the reloadable directories it moved under /tmp, not those it left there.
    @Test func aReloadNamesTheDirectoriesItMovedUnderTmp() throws {
        var before = try Self.configuration()
        before.delegate.connectorsDir = "/etc/secrets-delegate/connectors.d"
        before.credentials.directory = "/etc/secrets-delegate/credentials"
        var after = before
        after.credentials.directory = "/tmp/keys"
        let recorder = LogRecorder()
        DaemonLauncher.warnOfPrivateTmp(
            after, replacing: before, isPrivateTmp: { DaemonLauncher.hasPrivateTmp(mountinfo: Self.privateTmp) },
            logger: recorder.logger())
        let warned = recorder.records.filter { $0.contains("event=private-tmp-path") }
        #expect(warned.count == 1 && warned[0].contains("path=/tmp/keys"), "\(recorder.records)")

        // The same again (nothing moved): said at the start and at the reload that moved it only.
        let again = LogRecorder()
        DaemonLauncher.warnOfPrivateTmp(
            after, replacing: after, isPrivateTmp: { DaemonLauncher.hasPrivateTmp(mountinfo: Self.privateTmp) },
            logger: again.logger())
        #expect(again.records.isEmpty)
    }

    /// Mount lines as a service with PrivateTmp=yes sees them, and as any other process does.
    static let privateTmp = """
        24 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        301 24 254:1 /tmp/systemd-private-0123abcd-secrets-delegate.service-XyZ/tmp /tmp rw,relatime shared:1 - ext4 /dev/vda1 rw
        302 24 254:1 /var/tmp/systemd-private-0123abcd-secrets-delegate.service-AbC/tmp /var/tmp rw,relatime - ext4 /dev/vda1 rw
        """
    static let sharedTmp = """
        24 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        30 24 0:27 / /tmp rw,nosuid,nodev shared:12 - tmpfs tmpfs rw
        """

    @Test func privateTmpIsToldFromTheMountOfTmp() {
        #expect(DaemonLauncher.hasPrivateTmp(mountinfo: Self.privateTmp))
        #expect(!DaemonLauncher.hasPrivateTmp(mountinfo: Self.sharedTmp))
        #expect(!DaemonLauncher.hasPrivateTmp(mountinfo: ""))
    }

    @Test func onlyTmpAndVarTmpAndWhatIsUnderThemCountReadAsTheKernelReadsThem() {
        for path in ["/tmp", "/tmp/x", "/var/tmp", "/var/tmp/a/b", "/var//tmp/x", "/var/./tmp/x", "/srv/../tmp/s"] {
            #expect(DaemonLauncher.privateTmpHides(path), "\(path)")
        }
        for path in ["", "/tmpx", "/var/tmpfoo/x", "/run/tmp", "/var/lib/tmp", "/tmp/../var/lib/x", "tmp/x"] {
            #expect(!DaemonLauncher.privateTmpHides(path), "\(path)")
        }
    }
}
