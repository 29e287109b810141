import Foundation
import Testing
import TestSupport

/// The shipped systemd units (`systemd/`), judged by systemd's own tools.
@Suite struct UnitSecurityTests {
    /// `<package>/systemd`, found from this file's path (tests never chdir).
    static let unitDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("systemd").path

    @Test func serviceExposureIsAtMostOnePointFive() async throws {
        let run = try await Tool.run(
            "/usr/bin/systemd-analyze", ["security", "--offline=true", "--no-pager", Self.unitDirectory + "/secrets-delegate.service"])
        #expect(run.status == 0, "\(run.output)")
        // "→ Overall exposure level for secrets-delegate.service: 1.1 OK 🙂"
        let line = try #require(run.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(run.output)")
        let afterUnit = try #require(line.range(of: ".service: "), "\(line)")
        let number = line[afterUnit.upperBound...].prefix { $0.isNumber || $0 == "." }
        let exposure = try #require(Double(number), "\(line)")
        #expect(exposure <= 1.5, "\(line)")
    }

    /// `systemd-analyze verify` must print nothing at all: it exits 0 even for unknown keys
    /// and merely warns, so an empty output is what "clean" means.
    ///
    /// The units are verified as installed would be, with two honest substitutions:
    /// - The build machine has no `/usr/bin/secrets-delegate` (the package installs it), and
    ///   verify checks that `ExecStart=` is executable. Copies of the units in a temporary
    ///   directory point `ExecStart=` at the binary this build produced; nothing else changes,
    ///   and the test checks that exactly one line was rewritten.
    /// - `Documentation=man:secrets-delegate(1)` names the man page the package ships; verify
    ///   would run `man` for it, so `--man=no` skips that lookup here.
    /// `User=secrets-delegate` (created by sysusers.d at install) is not resolved by verify, so
    /// the missing user on the build machine does not matter.
    @Test func unitsVerifyClean() async throws {
        let directory = try TemporaryDirectory(prefix: "units")
        let binary = try DaemonProcess.binaryPath()
        let service = try String(contentsOfFile: Self.unitDirectory + "/secrets-delegate.service", encoding: .utf8)
        let original = "ExecStart=/usr/bin/secrets-delegate "
        var lines = service.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let execStarts = lines.indices.filter { lines[$0].hasPrefix(original) }
        try #require(execStarts.count == 1, "expected one ExecStart=/usr/bin/secrets-delegate line")
        lines[execStarts[0]] = "ExecStart=\(binary) " + lines[execStarts[0]].dropFirst(original.count)
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: directory.path("secrets-delegate.service")))
        let sockets = ["secrets-delegate.socket", "secrets-delegate-credentials.socket"]
        for socket in sockets {
            try FileManager.default.copyItem(atPath: Self.unitDirectory + "/" + socket, toPath: directory.path(socket))
        }

        let run = try await Tool.run(
            "/usr/bin/systemd-analyze",
            ["verify", "--man=no", directory.path("secrets-delegate.service")] + sockets.map { directory.path($0) })
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.isEmpty, "\(run.output)")
    }

    @Test func verifyWouldReportAnUnknownKey() async throws {
        // The check above is only worth something if verify reports problems this way.
        let directory = try TemporaryDirectory(prefix: "units")
        try Data("[Service]\nExecStart=/bin/true\nNoNewPrivilegez=yes\n".utf8).write(to: URL(fileURLWithPath: directory.path("broken.service")))
        let run = try await Tool.run("/usr/bin/systemd-analyze", ["verify", "--man=no", directory.path("broken.service")])
        #expect(run.output.contains("NoNewPrivilegez"))
    }
}

/// Runs a command to completion off the cooperative pool; stdout, then stderr.
enum Tool {
    struct Run: Sendable {
        var status: Int32
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]) async throws -> Run {
        let outcome = try await ChildProcess.run(executable, arguments, environment: environment)
        let status: Int32
        switch outcome.termination {
        case .exited(let code): status = code
        case .signalled(let signal): status = 128 + signal
        }
        return Run(status: status, output: outcome.output + outcome.errorOutput)
    }
}
