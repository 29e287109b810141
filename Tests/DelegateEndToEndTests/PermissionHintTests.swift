import Foundation
import Glibc
import Testing
import TestSupport

/// What a user refused by the file system is told, run as `nobody` through the built binary: a
/// producer outside the spool's group, a configuration file the service's user cannot read (the
/// two mistakes root's own runs never show).
@Suite struct PermissionHintTests {
    @Test func aRefusedUserIsToldWhichGroupOrModeIsMissing() async throws {
        let directory = try TemporaryDirectory(prefix: "permission-hints")
        #expect(chmod(directory.url.path, 0o755) == 0)
        // Copies nobody can reach (a checkout under /root is 0700 on Debian).
        let full = directory.path("secrets-delegated")
        try TestExecutable.copy(try DaemonProcess.fullBinaryPath(), to: full)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--", full]

        // A spool whose new/ only root and its group may enter, as the packaged one is.
        let spool = directory.path("spool")
        for sub in ["", "/new", "/cur", "/done"] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
        }
        #expect(chmod(spool, 0o755) == 0 && chmod(spool + "/new", 0o750) == 0)
        let task = directory.path("task.json")
        try Data(#"{"id":"perm-1","operation":"getRandomPassword"}"#.utf8).write(to: URL(fileURLWithPath: task))
        #expect(chmod(task, 0o644) == 0)
        let submitted = try await TestExecutable.run("/usr/bin/setpriv", asNobody + ["submit", "--spool", spool, task])
        #expect(submitted.termination == .exited(69), "\(submitted.errorOutput)")
        #expect(submitted.errorOutput.contains("Permission denied"), "\(submitted.errorOutput)")
        #expect(
            submitted.errorOutput.contains("the packaged spool is for the secrets-delegate group (add the user to it"),
            "\(submitted.errorOutput)")

        // A configuration file root wrote 0600: root's check-config reads it, the service's user not.
        let configuration = directory.path("delegate.toml")
        try Data("[delegate]\nname = \"perm\"\n".utf8).write(to: URL(fileURLWithPath: configuration))
        #expect(chmod(configuration, 0o600) == 0)
        let checked = try await TestExecutable.run(
            "/usr/bin/setpriv", asNobody + ["check-config", "--config", configuration])
        #expect(checked.termination == .exited(78), "\(checked.errorOutput)")
        #expect(
            checked.errorOutput.contains(
                "(read as uid 65534: the service's user needs it readable, root:secrets-delegate 0640 as packaged"),
            "\(checked.errorOutput)")
    }
}
