import Foundation
import Glibc
import TestSupport
import Testing

/// libdispatch gives each worker thread a nice value from its QoS class (down to -4) and logs
/// "Failed to set thread priority for worker thread" when the kernel refuses (EACCES: no
/// CAP_SYS_NICE, RLIMIT_NICE below 24), as it does under a hardened unit where systemd cannot
/// apply `LimitNICE=`. The daemon's `setpriority` (CLinuxShim) settles for the closest value the
/// host allows, so the daemon starts without that notice. Here it runs as `nobody`, with no
/// capabilities and RLIMIT_NICE 0, and libdispatch logs to stderr (`LIBDISPATCH_LOG=stderr`)
/// instead of syslog so the test sees what the journal would.
@Suite struct ThreadPriorityTests {
    static let launcher = [
        "/usr/bin/prlimit", "--nice=0:0",
        "/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
    ]

    @Test func startsWithoutPriorityNoticesWhereItMayNotRaiseThreadPriority() async throws {
        let nobody = try #require(getpwnam("nobody")?.pointee, "no user nobody")
        let directory = try TemporaryDirectory(prefix: "sd-nice")
        try DaemonTestFixtures.writeCredentials([:], in: directory)
        // A copy nobody can reach: the build's own may be under a directory only root may enter
        // (a checkout in /root, 0700 on Debian).
        let binary = directory.path("secrets-delegated")
        try FileManager.default.copyItem(atPath: try DaemonProcess.fullBinaryPath(), toPath: binary)
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("nice"), tags: ["a"], directory: directory,
                endpoint: "http://127.0.0.1:9"),
            environment: DaemonTestFixtures.environment(["LIBDISPATCH_LOG": "stderr"]),
            directory: directory, launcher: Self.launcher, executable: binary)
        for path in [directory.url.path, daemon.configurationPath, directory.path("credentials")] {
            try #require(chown(path, nobody.pw_uid, nobody.pw_gid) == 0, "chown \(path): errno \(errno)")
        }
        try daemon.start()
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))

        // The premise, read back from the kernel: what a hardened unit gives a service on a host
        // where LimitNICE= cannot be applied.
        let status = try String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)
        #expect(Self.fields(of: "Uid:", in: status).first == String(nobody.pw_uid), "\(status)")
        #expect(Self.fields(of: "CapEff:", in: status) == ["0000000000000000"], "\(status)")
        let limits = try String(contentsOfFile: "/proc/\(daemon.pid)/limits", encoding: .utf8)
        #expect(Self.fields(of: "Max nice priority", in: limits).prefix(2) == ["0", "0"], "\(limits)")

        #expect(try await daemon.stop() == .exited(0))
        let notices = daemon.stderrLines.filter { $0.contains("thread priority") }
        #expect(notices.isEmpty, "stderr:\n\(daemon.stderrText)")
    }

    /// The whitespace-separated fields after `label` on its line of a `/proc` file.
    static func fields(of label: String, in text: String) -> [String] {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return [] }
        return line.dropFirst(label.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}
