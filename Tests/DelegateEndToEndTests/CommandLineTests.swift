import Foundation
import TestSupport
import Testing

/// The command line as operators and scripts use it: output and exit statuses.
@Suite struct CommandLineTests {
    struct Outcome {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs the CLI; a loaded host may take long to start it, so it has 180 s before it is
    /// taken for hung.
    static func run(_ arguments: [String], stdin: Data? = nil) async throws -> Outcome {
        let outcome = try await ChildProcess.run(
            try DaemonProcess.binaryPath(), arguments, input: stdin, timeout: .seconds(180))
        guard case .exited(let status) = outcome.termination else {
            throw EndToEndError("secrets-delegate \(arguments) \(outcome.termination)")
        }
        return Outcome(status: status, output: outcome.output, errorOutput: outcome.errorOutput)
    }

    @Test func versionAndUsageErrors() async throws {
        let version = try await Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines).first?.isNumber == true)
        #expect(try await Self.run(["submit", "--socket", "/x", "--spool", "/y", "t.json"]).status == 64)
        #expect(try await Self.run(["frobnicate"]).status == 64)
        // The help (the man page is made from it) names every exit status a command may return.
        let help = try await Self.run(["--help"])
        let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for status in ["0 success", "1 the task failed", "64 usage", "69 delegate unreachable", "74 standard output refused",
            "126 and 127 exec's command", "78 configuration error", "submit --sqs: HTTP or the queue failing",
            "open: the result does not authenticate"]
        {
            #expect(text.contains(status), "the help lacks \(status)")
        }
        // Each command's help says what it refuses, as docs/INTERFACE.md does.
        let submit = try await Self.run(["submit", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(submit.contains("holds a raw U+FFFE or U+FFFF"), "\(submit)")
        let keygen = try await Self.run(["keygen", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(keygen.contains("any group or other permission bit"), "\(keygen)")
        #expect(keygen.contains("a mount keeping 0700 is taken"), "\(keygen)")
        #expect(submit.contains("Nothing authenticates a result"), "\(submit)")
        #expect(submit.contains("secrecy, not proof of origin"), "\(submit)")
        let open = try await Self.run(["open", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(open.contains("A result that is not sealed is printed unchanged with a note on stderr, and exits 0"), "\(open)")
        #expect(open.contains("Sealing gives secrecy, not proof of origin"), "\(open)")
        #expect(!open.contains("authenticated"), "\(open)")
        let run = try await Self.run(["run", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(run.contains("a spool task stays claimed and runs again at the next start"), "\(run)")
    }

    /// A task file that cannot be read is named in the error escaped, as every error line shows
    /// text from elsewhere: a name holding a terminal's escape or a line break writes neither.
    @Test func anUnreadableTaskFilesNameIsShownEscaped() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let outcome = try await Self.run(["submit", "--spool", directory.path("spool"), directory.path("no\u{1B}]0;x\u{07}such\n.json")])
        #expect(outcome.status == 64, "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains(#"no\u{1b}]0;x\u{7}such\u{a}.json"#), "\(outcome.errorOutput.debugDescription)")
        #expect(!outcome.errorOutput.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(outcome.errorOutput.dropLast().allSatisfy { $0 != "\n" })
    }

    @Test func checkConfigPrintsTheEffectiveConfigurationOrNamesTheBadKeyWithStatus78() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let good = directory.path("good.toml")
        try Data("[delegate]\nname = \"cli-host\"\ntags = [\"a\"]\n".utf8).write(to: URL(fileURLWithPath: good))
        let printed = try await Self.run(["check-config", "--config", good])
        #expect(printed.status == 0, "\(printed.errorOutput)")
        #expect(printed.output.contains(#"name = "cli-host""#))
        #expect(printed.output.contains("concurrency = 16"))

        let bad = directory.path("bad.toml")
        try Data("[delegate]\nconcurency = 4\n".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try await Self.run(["check-config", "--config", bad])
        #expect(refused.status == 78)
        #expect(refused.errorOutput.contains("concurency"))

        let missing = try await Self.run(["check-config", "--config", directory.path("absent.toml")])
        #expect(missing.status == 78)
    }

    /// `submit -` reads standard input to its end (many reads for a large task) and queues those
    /// bytes unchanged.
    @Test func submitReadsALargeTaskFromStandardInputWhole() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli-stdin")
        let spool = directory.path("spool")
        for sub in ["", "/tmp", "/new"] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
        }
        let secret = String((0..<300_000).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let task = Data(
            #"{"id":"big-stdin","connector":"c","operation":"putSecretValue","params":{"name":"n","secretString":""#.utf8
        ) + Data(secret.utf8) + Data(#""}}"#.utf8)
        let queued = try await Self.run(["submit", "--spool", spool, "-"], stdin: task)
        #expect(queued.status == 0, "\(queued.errorOutput)")
        #expect(FileManager.default.contents(atPath: spool + "/new/big-stdin.json") == task)
        #expect(!queued.output.contains(secret.prefix(32)) && !queued.errorOutput.contains(secret.prefix(32)))
    }

    /// A task renamed into `new/` is queued even when `new/` cannot be synced after: `submit`
    /// says so on stderr and exits 0 (the delegate will run it; submitting it again would find
    /// it queued), where it used to exit 69. Here `new/` is write-only for the submitting user
    /// (nobody), so the rename works and opening `new/` to sync it does not.
    @Test func aTaskQueuedWithoutTheDirectorySyncIsReportedQueuedWithAWarning() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli-nosync")
        let binary = directory.path("secrets-delegated")
        let built = URL(fileURLWithPath: try DaemonProcess.binaryPath()).deletingLastPathComponent().appendingPathComponent("secrets-delegated").path
        try FileManager.default.copyItem(atPath: built, toPath: binary)
        let spool = directory.path("spool")
        for (sub, mode) in [("", 0o755), ("/tmp", 0o700), ("/new", 0o300), ("/done", 0o700)] as [(String, mode_t)] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
            #expect(chown(spool + sub, 65534, 65534) == 0 && chmod(spool + sub, mode) == 0)
        }
        func task(_ id: String) -> Data {
            Data(#"{"id":"\#(id)","connector":"c","operation":"getRandomPassword","params":{}}"#.utf8)
        }
        func submit(_ id: String) async throws -> ChildProcess.Outcome {
            try await ChildProcess.run(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "submit", "--spool", spool, "-"],
                input: task(id))
        }
        let queued = try await submit("nosync")
        #expect(queued.termination == .exited(0), "\(queued.errorOutput)")
        #expect(queued.output == "queued \(spool)/new/nosync.json\n")
        #expect(
            queued.errorOutput.hasPrefix(
                "secrets-delegate: warning: QueuedNotDurable: queued \(spool)/new/nosync.json, but syncing \(spool)/new "
                    + "failed (errno 13: Permission denied)"), "\(queued.errorOutput)")
        #expect(FileManager.default.contents(atPath: spool + "/new/nosync.json") == task("nosync"))
        // Submitting it again finds it queued.
        #expect(try await submit("nosync").termination == .exited(64))

        // Waiting, the warning comes whatever the wait brings: here no delegate answers.
        let waited = try await ChildProcess.run(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "submit", "--spool", spool, "--wait",
             "--timeout", "0.2", "-"],
            input: task("waited"))
        #expect(waited.termination == .exited(69), "\(waited.errorOutput)")
        #expect(waited.errorOutput.contains("warning: QueuedNotDurable: queued \(spool)/new/waited.json"), "\(waited.errorOutput)")
        #expect(waited.errorOutput.contains("no result for waited within"), "\(waited.errorOutput)")

        // With a directory it can sync, no warning.
        #expect(chmod(spool + "/new", 0o700) == 0)
        let synced = try await submit("synced")
        #expect(synced.termination == .exited(0) && synced.errorOutput.isEmpty, "\(synced.errorOutput)")
    }

    @Test func submitWaitsForResultsAndExitsByTheirStatusAndStatusAnswers() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let config = fixture.configuration(name: "cli", tags: ["cli"], socket: true)
        let daemon = try fixture.start(configuration: config, name: "cli")
        #expect(await daemon.waitUntilReady())

        let good = try EndToEndFixture.line(
            fixture.task(
                id: "cli-ok", operation: "getRandomPassword", params: ["passwordLength": 10], selectors: ["cli"]))
        let viaSocket = try await Self.run(
            ["submit", "--config", daemon.configurationPath, "--wait", "--timeout", "120", "-"], stdin: good)
        #expect(viaSocket.status == 0, "\(viaSocket.errorOutput)")
        #expect(
            SocketPeer.object(viaSocket.output.trimmingCharacters(in: .whitespacesAndNewlines))?["id"] as? String
                == "cli-ok")

        let missing = directory(fixture, "missing.json")
        try EndToEndFixture.line(
            fixture.task(id: "cli-missing", operation: "getSecretValue", params: ["name": "absent"], selectors: ["cli"])
        ).write(to: URL(fileURLWithPath: missing))
        let viaSpool = try await Self.run(["submit", "--spool", fixture.spool, "--wait", "--timeout", "120", missing])
        #expect(viaSpool.status == 1)
        let failed = SocketPeer.object(viaSpool.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((failed?["error"] as? [String: Any])?["code"] as? String == "ResourceNotFoundException")

        let status = try await Self.run(["status", "--socket", fixture.socketPath("cli")])
        #expect(status.status == 0)
        #expect(SocketPeer.object(status.output.replacingOccurrences(of: "\n", with: " "))?["name"] as? String == "cli")
        #expect(status.output.hasPrefix("{\n  \""), "indented, two spaces a level: \(status.output)")

        #expect(try await daemon.stop() == .exited(0))
        let unreachable = try await Self.run(["status", "--socket", fixture.socketPath("cli")])
        #expect(unreachable.status == 69)
    }

    func directory(_ fixture: EndToEndFixture, _ name: String) -> String { fixture.directory.path(name) }

    /// `submit --spool --wait` deletes the result it printed only once it is printed: with stdout
    /// refusing it (a full disk) the result stays in done/ to be collected again; and a result
    /// there with another task's id (a task file named otherwise) is left alone, not printed.
    @Test func submitWaitDeletesTheResultOnlyOncePrinted() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-collect")
        let spool = directory.path("spool")
        for sub in ["tmp", "new", "cur", "done"] {
            try FileManager.default.createDirectory(atPath: spool + "/" + sub, withIntermediateDirectories: true)
        }
        let binary = try DaemonProcess.binaryPath()
        func result(_ id: String) -> String {
            #"{"id":"\#(id)","status":"succeeded","delegate":"d","receivedAt":"2026-12-04T07:00:00Z","#
                + #""finishedAt":"2026-12-04T07:00:01Z","attempts":1,"result":{"name":"db"}}"#
        }
        /// A stand-in delegate: once new/<id>.json is there, done/<id>.json holds `text`. It never
        /// answers a task not yet queued: a result there before submit looks is one it refuses to
        /// queue over (a loaded host can take many seconds to start the child).
        func answer(_ id: String, with text: String) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while !FileManager.default.fileExists(atPath: "\(spool)/new/\(id).json"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(FileManager.default.fileExists(atPath: "\(spool)/new/\(id).json"), "submit never queued \(id)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(spool)/done/\(id).json"), options: .atomic)
        }
        func submit(_ id: String, toFullDisk: Bool, seal: Bool = false) async throws -> ChildProcess.Outcome {
            let task = Data(#"{"id":"\#(id)","connector":"c","operation":"getRandomPassword","params":{}}"#.utf8)
            let redirect = toFullDisk ? " > /dev/full" : ""
            return try await ChildProcess.run(
                "/bin/sh",
                ["-c", #"exec "$@""# + redirect, "sh", binary, "submit", "--spool", spool, "--wait", "--timeout", "120"]
                    + (seal ? ["--seal"] : []) + ["-"],
                input: task, timeout: .seconds(180))
        }

        async let lost = submit("kept", toFullDisk: true)
        try await answer("kept", with: result("kept"))
        let refused = try await lost
        #expect(refused.termination == .exited(74), "\(refused.errorOutput)")
        #expect(refused.errorOutput.contains("the result stays in \(spool)/done/kept.json"), "\(refused.errorOutput)")
        #expect(FileManager.default.contents(atPath: "\(spool)/done/kept.json") == Data(result("kept").utf8))

        async let printed = submit("taken", toFullDisk: false)
        try await answer("taken", with: result("taken"))
        let taken = try await printed
        #expect(taken.termination == .exited(0), "\(taken.errorOutput)")
        #expect(taken.output.contains(#""id":"taken""#))
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/done/taken.json"))

        async let other = submit("mine", toFullDisk: false)
        try await answer("mine", with: result("theirs"))
        let mismatch = try await other
        #expect(mismatch.termination == .exited(69), "\(mismatch.errorOutput)")
        #expect(mismatch.output.isEmpty)
        #expect(mismatch.errorOutput.contains("holds another task's result"), "\(mismatch.errorOutput)")
        #expect(FileManager.default.contents(atPath: "\(spool)/done/mine.json") == Data(result("theirs").utf8))

        // With --seal, a result it cannot open (here in the clear; sealed to another producer's
        // key alike) is printed as nothing, exit 1, and left: it may be another producer's only copy.
        async let unopened = submit("sealedmine", toFullDisk: false, seal: true)
        try await answer("sealedmine", with: result("sealedmine"))
        let unsealed = try await unopened
        #expect(unsealed.termination == .exited(1), "\(unsealed.errorOutput)")
        #expect(unsealed.output.isEmpty)
        #expect(FileManager.default.contents(atPath: "\(spool)/done/sealedmine.json") == Data(result("sealedmine").utf8))

        // A wait that cannot be set up (no done/ to watch) says the task is queued all the same.
        try FileManager.default.removeItem(atPath: spool + "/done")
        let unwatched = try await submit("unwatched", toFullDisk: false)
        #expect(unwatched.termination == .exited(69), "\(unwatched.errorOutput)")
        #expect(
            unwatched.errorOutput.contains("\(spool)/new/unwatched.json is queued, but its result cannot be waited for"),
            "\(unwatched.errorOutput)")
    }

    /// A key file the system cannot write (here: a file size limit of 0, as a full disk or EIO
    /// would) is 74, an I/O error, not 64: nothing the caller wrote is wrong, and nothing is left
    /// behind. A file that exists stays 64.
    @Test func aKeyFileTheSystemCannotWriteIsStatus74() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let binary = try DaemonProcess.binaryPath()
        let key = directory.path("limited.key")
        // SIGXFSZ ignored (kept across exec), so the write fails with EFBIG instead. Its output
        // goes through a pipe to an unlimited `cat` (the limit would refuse the test's own
        // output files too, and a refused stdout is 74 of its own).
        let limited = try await ChildProcess.run(
            "/bin/bash",
            ["-c", #"(trap "" XFSZ; ulimit -f 0; exec "$@") 2>&1 | cat; exit "${PIPESTATUS[0]}""#, "bash", binary, "keygen",
             "--out", key])
        #expect(limited.termination == .exited(74), "\(limited.output)")
        #expect(limited.output == "secrets-delegate: cannot write \(key): File too large\n", "\(limited.output)")
        #expect(!FileManager.default.fileExists(atPath: key))
        #expect(try await Self.run(["keygen", "--out", key]).status == 0)
        #expect(try await Self.run(["keygen", "--out", key]).status == 64)
    }

    /// Output stdout refuses (here: a full disk) is an error, 74, never a success with nothing
    /// printed: for `open` and `submit --wait` the output is the only copy of the result, and
    /// keygen takes its key file back, since no one could learn its public key.
    @Test func outputThatCannotBeWrittenIsStatus74() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let binary = try DaemonProcess.binaryPath()
        func toFullDisk(_ arguments: [String], stdin: Data? = nil) async throws -> ChildProcess.Outcome {
            try await ChildProcess.run("/bin/sh", ["-c", #"exec "$@" > /dev/full"#, "sh", binary] + arguments, input: stdin)
        }
        let lostKey = directory.path("lost.key")
        let keygen = try await toFullDisk(["keygen", "--out", lostKey])
        #expect(keygen.termination == .exited(74), "\(keygen.errorOutput)")
        #expect(keygen.errorOutput.contains("secrets-delegate: cannot write to standard output: No space left on device\n"))
        #expect(keygen.errorOutput.contains("\(lostKey) was removed"))
        #expect(!FileManager.default.fileExists(atPath: lostKey))
        // A reader that has gone (a pipe whose read end is closed, stdout and stderr both; python
        // gives its child SIGPIPE's default action): the key is taken back too, and keygen exits
        // 74, not killed by SIGPIPE at its output or its last line.
        let pipedKey = directory.path("piped.key")
        let piped = try await ChildProcess.run(
            "/usr/bin/python3",
            ["-c", "import os, subprocess, sys; r, w = os.pipe(); os.close(r); "
                + "print(subprocess.run(sys.argv[1:], stdout=w, stderr=w).returncode)",
             binary, "keygen", "--out", pipedKey])
        #expect(piped.output == "74\n", "\(piped.output) \(piped.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: pipedKey))

        let key = directory.path("result.key")
        #expect(try await Self.run(["keygen", "--out", key]).status == 0)
        let result = Data(
            #"{"id":"t-1","status":"succeeded","delegate":"d","receivedAt":"2026-12-03T07:00:00Z","finishedAt":"2026-12-03T07:00:01Z","attempts":1,"result":{"Name":"db"}}"#
                .utf8)
        let printed = try await Self.run(["open", "--key", key, "-"], stdin: result)
        #expect(printed.status == 0, "\(printed.errorOutput)")
        #expect(printed.output.contains(#""id":"t-1""#))
        let opened = try await toFullDisk(["open", "--key", key, "-"], stdin: result)
        #expect(opened.termination == .exited(74))
        #expect(
            opened.errorOutput
                == "secrets-delegate: note: the result is not sealed\n"
                + "secrets-delegate: cannot write to standard output: No space left on device\n")
    }

    @Test(arguments: ["0", "-1", "nan", "inf", "1e300", "31536001", "0x10", "0x1p-2", "10s"])
    func submitRefusesATimeoutThatIsNoUsableNumberOfSeconds(timeout: String) async throws {
        let refused = try await Self.run(["submit", "--socket", "/nonexistent.sock", "--timeout=\(timeout)", "t.json"])
        #expect(refused.status == 64, "\(refused.errorOutput)")
        #expect(
            refused.errorOutput.contains(
                "--timeout must be a decimal number of seconds (such as 30 or 2.5), more than 0 and at most 31536000"))
    }

    /// With --socket or --spool, submit reads no configuration (as get, exec and status with
    /// --socket): a broken one does not stop it.
    @Test func submitToAGivenSocketOrSpoolReadsNoConfiguration() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let broken = directory.path("broken.toml")
        try Data("[delegate\n".utf8).write(to: URL(fileURLWithPath: broken))
        let task = Data(#"{"id":"no-config","operation":"getRandomPassword","connector":{"id":"c"}}"#.utf8)
        let socket = try await Self.run(
            ["submit", "--config", broken, "--socket", directory.path("absent.sock"), "-"], stdin: task)
        #expect(socket.status == 69, "\(socket.errorOutput)")
        #expect(!socket.errorOutput.contains("configuration"))
        let spool = directory.path("spool")
        for sub in ["tmp", "new", "cur", "done"] {
            try FileManager.default.createDirectory(atPath: spool + "/" + sub, withIntermediateDirectories: true)
        }
        let queued = try await Self.run(["submit", "--config", broken, "--spool", spool, "-"], stdin: task)
        #expect(queued.status == 0, "\(queued.errorOutput)")
        #expect(FileManager.default.fileExists(atPath: spool + "/new/no-config.json"))
        // Without either, the configuration is what names the destination.
        let unread = try await Self.run(["submit", "--config", broken, "-"], stdin: task)
        #expect(unread.status == 78)
    }

    /// A `--socket` no socket can have (empty, longer than `sockaddr_un` holds) is the caller's to
    /// fix: 64, not the 69 a script takes for a delegate down and tries again. One that names a
    /// file or a directory is refused by connect(2) as a dead socket is, and says it is no socket.
    @Test func aSocketPathNoSocketCanHaveIsAUsageError() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let task = Data(#"{"id":"no-socket","operation":"getRandomPassword","connector":{"id":"c"}}"#.utf8)
        for path in ["", "/" + String(repeating: "s", count: 120)] {
            for arguments in [
                ["get", "--socket", path, "prod", "db"], ["status", "--socket", path], ["submit", "--socket", path, "-"],
                ["exec", "--socket", path, "--env", "A=prod:db", "--", "true"],
            ] {
                let ran = try await Self.run(arguments, stdin: task)
                #expect(ran.status == 64, "\(arguments): \(ran.errorOutput)")
                #expect(ran.errorOutput.contains("InvalidAddress"), "\(arguments): \(ran.errorOutput)")
            }
        }
        let file = directory.path("regular")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for (path, kind) in [(file, "a file"), (directory.url.path, "a directory")] {
            for arguments in [["get", "--socket", path, "prod", "db"], ["status", "--socket", path]] {
                let ran = try await Self.run(arguments)
                #expect(ran.status == 69, "\(arguments): \(ran.errorOutput)")
                #expect(ran.errorOutput.contains("; it is \(kind), not a socket"), "\(arguments): \(ran.errorOutput)")
            }
        }
    }

    /// A `SECRETS_DELEGATE_*` override whose value is not UTF-8 (a Latin-1 path in a unit's
    /// `Environment=`) is a configuration error naming the variable, as such an argument is a
    /// usage error: read as text, it would name another path than the one given.
    @Test func anOverrideThatIsNotUTF8IsAConfigurationError() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-cli")
        let file = directory.path("delegate.toml")
        try Data("[delegate]\nname = \"latin1\"\n".utf8).write(to: URL(fileURLWithPath: file))
        let binary = try DaemonProcess.fullBinaryPath()
        // Through sh: the environment this test can give holds text only.
        let ran = try await ChildProcess.run(
            "/bin/sh", ["-c", #"SECRETS_DELEGATE_QUEUE_SOCKET_PATH="$(printf '/tmp/caf\351/s')" exec "$0" check-config --config "$1""#, binary, file])
        #expect(ran.termination == .exited(78), "\(ran.errorOutput)")
        #expect(
            ran.errorOutput.contains("SECRETS_DELEGATE_QUEUE_SOCKET_PATH: its value is not UTF-8"), "\(ran.errorOutput)")
        #expect(ran.output.isEmpty)
        // The same value in UTF-8 is taken.
        let taken = try await ChildProcess.run(
            "/bin/sh", ["-c", #"SECRETS_DELEGATE_QUEUE_SOCKET_PATH='/tmp/café/s' exec "$0" check-config --config "$1""#, binary, file])
        #expect(taken.termination == .exited(0), "\(taken.errorOutput)")
        #expect(taken.output.contains(#"socket_path = "/tmp/café/s""#), "\(taken.output)")
    }
}
