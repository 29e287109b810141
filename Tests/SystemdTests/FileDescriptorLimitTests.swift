import Foundation
import Glibc
import Systemd
import TestSupport
import Testing

@Suite struct FileDescriptorLimitTests {
    /// The `Max open files` line of `/proc/<pid>/limits`, as the kernel reports it.
    static func reportedLimit(of pid: String) throws -> FileDescriptorLimit? {
        let text = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else {
            return nil
        }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        func value(_ field: Substring) -> UInt64? {
            field == "unlimited" ? FileDescriptorLimit.unlimited : UInt64(field)
        }
        guard fields.count >= 2, let soft = value(fields[0]), let hard = value(fields[1]) else { return nil }
        return FileDescriptorLimit(soft: soft, hard: hard)
    }

    @Test func readsWhatTheKernelReports() throws {
        let reported = try #require(try Self.reportedLimit(of: "self"))
        #expect(try FileDescriptorLimit.current() == reported)
    }

    /// On a child whose shell lowered its soft limit, so the test process's own limits stay as
    /// they are.
    @Test func raisesTheSoftLimitToTheHardLimit() async throws {
        let hard = try FileDescriptorLimit.current().hard
        try #require(hard > 64, "the hard limit \(hard) leaves nothing to raise")
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "ulimit -Sn 64 && exec sleep 600"],
            environment: ["PATH": "/usr/bin:/bin"])
        defer { child.signal(SIGKILL) }
        // A loaded host can take many seconds to start the shell.
        let deadline = ContinuousClock.now + .seconds(90)
        while try FileDescriptorLimit.current(process: child.pid).soft != 64 {
            try #require(ContinuousClock.now < deadline, "the child never lowered its limit")
            try await Task.sleep(for: .milliseconds(10))
        }

        let (before, after) = try FileDescriptorLimit.raiseSoftToHard(process: child.pid)
        #expect(before == FileDescriptorLimit(soft: 64, hard: hard))
        #expect(after == FileDescriptorLimit(soft: hard, hard: hard))
        #expect(try Self.reportedLimit(of: "\(child.pid)") == after)

        let again = try FileDescriptorLimit.raiseSoftToHard(process: child.pid)
        #expect(again.before == after && again.after == after)
    }

    @Test func aProcessThatDoesNotExistIsAnError() throws {
        let error = try #require(throws: ProcessSettingError.self) {
            try FileDescriptorLimit.current(process: Int32.max)
        }
        #expect(error.code == .fileDescriptorLimit)
        #expect(error.errno == ESRCH)
    }

    @Test func describesUnlimitedInWords() {
        #expect(FileDescriptorLimit(soft: 1024, hard: FileDescriptorLimit.unlimited).description == "1024/unlimited")
    }
}
