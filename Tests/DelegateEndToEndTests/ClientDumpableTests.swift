import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// `get` and `exec` hold secret values, `submit --seal` a private key: while one waits for its
/// answer it is not dumpable, so no core
/// file and no other process of its user (`ptrace`, `/proc/<pid>/mem`) can have them. The
/// kernel's own word is looked at: a process that is not dumpable has its `/proc` files owned by
/// root, though it runs as `nobody` here.
@Suite struct ClientDumpableTests {
    /// The owners of `/proc/<client>/environ`, read while each client waits for its answer.
    final class Owners: Sendable {
        let seen = Mutex<[String]>([])
    }

    @Test func getExecAndSealedSubmitAreNotDumpableWhileTheyWait() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-dumpable")
        #expect(chmod(directory.url.path, 0o755) == 0)
        let owners = Owners()
        let fake = try FakeDelegateSocket(path: directory.path("d.sock")) { task, peer in
            var status = stat()
            let owner = stat("/proc/\(peer)/environ", &status) == 0 ? "uid \(status.st_uid)" : "unreadable"
            owners.seen.withLock { $0.append(owner) }
            return FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"value"}"#)
        }
        #expect(chmod(fake.path, 0o777) == 0)
        let commands = [
            ["get", "--socket", fake.path, "prod", "db"],
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "/bin/true"],
        ]
        // Copies nobody can reach: the build's own may be under a directory only root may enter
        // (a checkout in /root, 0700 on Debian).
        let front = directory.path("secrets-delegate")
        let full = directory.path("secrets-delegated")
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: front)
        try TestExecutable.copy(try DaemonProcess.fullBinaryPath(), to: full)
        var ran = 0
        for binary in [front, full] {
            for command in commands {
                // Tried again while a copy just written is still busy (ETXTBSY) for the exec.
                let outcome = try await TestExecutable.run(
                    "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", binary] + command)
                #expect(outcome.termination == .exited(0), "\(binary) \(command[0]): \(outcome.errorOutput)")
                ran += 1
            }
        }
        // submit --seal holds the private key that opens its result (the fake's answer is not
        // sealed: refused, which is not what is looked at here).
        let task = Data(#"{"id":"dump-1","connector":"prod","operation":"getSecretValue","params":{"name":"db"}}"#.utf8)
        let submitted = try await ChildProcess.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", full, "submit",
                "--socket", fake.path, "--seal", "--wait", "-",
            ],
            input: task)
        #expect(submitted.errorOutput.contains("not sealed"), "\(submitted.errorOutput)")
        ran += 1
        #expect(owners.seen.withLock { $0 } == Array(repeating: "uid 0", count: ran))
    }
}
