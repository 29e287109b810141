import Foundation
import Glibc
import Systemd
import TestSupport
import Testing

/// What `secrets-delegate run` does to its own process before it takes tasks: no core dumps,
/// and the soft open file limit raised to the hard limit. The ready line reports both, read
/// back from the kernel (the tests run as root, to whom a non-dumpable process's `/proc/<pid>`
/// looks no different). A shell lowers the soft limit before it execs the daemon.
@Suite struct ProcessHardeningTests {
    /// libcurl's TLS backend appends every session's keys to `$SSLKEYLOGFILE` (Debian's does):
    /// whoever reads that file reads the secret values in AWS's answers. The daemon takes the
    /// variable out before libcurl starts, and says so.
    @Test func tlsSessionKeysAreNeverWrittenToSSLKEYLOGFILE() async throws {
        let server = try OpenSSLTestServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "sd-keylog")
        // The control: this host's libcurl (curl(1) links the daemon's) does write the keys of a
        // handshake with this server, so a key log the daemon leaves unwritten is its own doing.
        let controlLog = directory.path("control-keys.log")
        let control = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "-k", "-o", "/dev/null", server.baseURL + "/"],
            environment: ["PATH": "/usr/bin:/bin", "SSLKEYLOGFILE": controlLog])
        #expect(control.termination == .exited(0), "\(control.errorOutput)")
        #expect(
            ((try? Data(contentsOf: URL(fileURLWithPath: controlLog)))?.count ?? 0) > 0,
            "curl wrote no TLS keys to SSLKEYLOGFILE: the test below would prove nothing")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDKEYLOGTEST", "secret-key": "keylog-test-secret"], in: directory)
        let keyLog = directory.path("tls-keys.log")
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("keylog"), tags: ["keylog"], directory: directory,
                endpoint: server.baseURL),
            environment: DaemonTestFixtures.environment(["SSLKEYLOGFILE": keyLog]), directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try spool.enqueue(id: "tls", json: DaemonTestFixtures.task(id: "tls", operation: "getSecretValue", params: ["name": "db"]))
        try daemon.start()
        // The handshake happened (the self-signed certificate is then refused): keys existed.
        let result = try await spool.waitForResult(id: "tls")
        #expect(result["status"] as? String == "failed", "\(result)")
        let message = (result["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("its TLS certificate was refused"), "not refused in the handshake: \(result)")
        #expect(try await daemon.stop() == .exited(0))
        #expect(!FileManager.default.fileExists(atPath: keyLog), "TLS session keys were written to SSLKEYLOGFILE")
        #expect(daemon.stderrText.contains("SSLKEYLOGFILE is set; ignored"), "\(daemon.stderrText)")
    }

    /// A hand run whose stderr goes to a pipe whose reader has gone (`| head -n 1`, a `| tee`
    /// ended by the terminal's Ctrl-C) keeps running: its log lines are dropped, not a SIGPIPE
    /// that ends it at its next line with no graceful stop (a claimed task then runs again at
    /// the next start). It runs a task after its reader went, and stops with 0 on SIGTERM.
    @Test func aHandRunOutlivesTheReaderOfItsStderr() async throws {
        let server = try LoopbackHTTPServer { _ in
            DaemonTestFixtures.getSecretValueResponse(name: "db", value: "piped-value")
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "sd-sigpipe")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDSIGPIPETEST", "secret-key": "sigpipe-test-secret"], in: directory)
        let configuration = DaemonTestFixtures.configuration(
            name: DaemonTestFixtures.uniqueName("sigpipe"), tags: ["sigpipe"], directory: directory,
            endpoint: server.baseURL)
        let configurationPath = directory.path("delegate.toml")
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configurationPath))
        let pidPath = directory.path("daemon.pid")
        let statusPath = directory.path("daemon.status")
        // The daemon's stdout and stderr go to `head -n 1`, which reads one line and exits; the
        // shell records the daemon's pid and, once it ends, its exit status (141: SIGPIPE).
        let shell = try ChildProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", #"{ "$0" run --config "$1" & echo $! > "$2"; wait $!; echo $? > "$3"; } 2>&1 | head -n 1 > /dev/null"#,
                try DaemonProcess.binaryPath(), configurationPath, pidPath, statusPath,
            ],
            environment: DaemonTestFixtures.environment())
        defer { shell.signal(SIGKILL) }
        func number(in path: String) -> Int32? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        _ = await eventually(within: .seconds(60)) { number(in: pidPath) != nil }
        let pid = try #require(number(in: pidPath), "the shell never started the daemon")
        // Only while it runs (its status not written): an ended daemon's pid may be another's.
        defer { if number(in: statusPath) == nil { Glibc.kill(pid, SIGKILL) } }
        let spool = SpoolDirectory(path: directory.path("spool"))
        try spool.enqueue(id: "piped", json: DaemonTestFixtures.task(id: "piped", operation: "getSecretValue", params: ["name": "db"]))
        let result = try await spool.waitForResult(id: "piped", timeout: .seconds(90))
        #expect(result["status"] as? String == "succeeded", "\(result)")
        Glibc.kill(pid, SIGTERM)
        _ = await eventually(within: .seconds(90)) { number(in: statusPath) != nil }
        #expect(number(in: statusPath) == 0, "the daemon's exit status (141: killed by SIGPIPE)")
    }

    @Test func runIsNotDumpableAndRaisesItsOpenFileLimit() async throws {
        let hard = try FileDescriptorLimit.current().hard
        try #require(hard > 256, "the hard limit \(hard) leaves nothing to raise")
        let directory = try TemporaryDirectory(prefix: "sd-hardening")
        let configuration = DaemonTestFixtures.configuration(
            name: DaemonTestFixtures.uniqueName("hardening"), tags: ["a"], directory: directory,
            endpoint: "http://127.0.0.1:9")
        let configurationPath = directory.path("delegate.toml")
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configurationPath))
        let stderrPath = directory.path("stderr.log")
        let daemon = try ChildProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", #"ulimit -Sn 256 && exec "$0" run --config "$1""#, try DaemonProcess.binaryPath(),
                configurationPath,
            ],
            environment: DaemonTestFixtures.environment(), stderr: .file(stderrPath))
        defer { daemon.signal(SIGKILL) }

        func readyLine() -> String? {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.contains("event=ready") }.map(String.init)
        }
        // Ready, or ended without being ready.
        _ = await eventually { readyLine() != nil || !daemon.isRunning }
        let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        let line = try #require(readyLine(), "the daemon was not ready (running: \(daemon.isRunning)): \(log)")
        #expect(line.contains("dumpable=no"), "\(line)")
        #expect(line.contains("open_files_limit=\(hard)"), "\(line)")
        #expect(try FileDescriptorLimit.current(process: daemon.pid) == FileDescriptorLimit(soft: hard, hard: hard))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: .seconds(90)) == .exited(0))
    }
}
