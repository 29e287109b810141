import DelegateClient
import Foundation
import TestSupport
import Testing

/// `get` and `exec` through the built binary, against a socket that plays the delegate
/// (docs/INTERFACE.md section 10); the in-process tests are `SecretGetterTests`.
@Suite struct SecretGetterBinaryTests {
    /// The built binary: two variables reach the command, which replaces it; one failing
    /// variable keeps the command from running at all.
    @Test func execRunsTheCommandWithTheValuesOrNotAtAll() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let binary = try DaemonProcess.binaryPath()
        let ran = try await ChildProcess.run(
            binary,
            [
                "exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "B=prod:db#password", "--",
                "sh", "-c", #"printf %s "$A|$B""#,
            ])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(ran.output == "s3cr3t-é|pw-canary")

        let marker = directory.path("marker")
        let refused = try await ChildProcess.run(
            binary,
            [
                "exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "GONE=prod:absent", "--",
                "/bin/sh", "-c", "touch \"$0\"", marker,
            ])
        #expect(refused.termination == .exited(1))
        #expect(refused.output.isEmpty)
        #expect(refused.errorOutput.contains("ResourceNotFoundException"))
        #expect(refused.errorOutput.contains("GONE"))
        #expect(!refused.errorOutput.contains("s3cr3t"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let usage = try await ChildProcess.run(
            binary, ["exec", "--socket", fake.path, "--env", "1A=prod:db", "--", "/bin/true"])
        #expect(usage.termination == .exited(64))

        let asked = fake.tasks.count
        let notFound = try await ChildProcess.run(
            binary, ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "no-such-command-sd"])
        #expect(notFound.termination == .exited(127))
        #expect(notFound.errorOutput.contains("no-such-command-sd: command not found"))
        #expect(!notFound.errorOutput.contains("s3cr3t"))
        #expect(fake.tasks.count == asked, "a command found nowhere had values read first")
    }

    /// The caller's own arguments are shown escaped in error lines, as every error line is: a
    /// control character in a command name or an `--env` is no terminal escape. Both binaries.
    @Test func execErrorLinesShowControlCharactersEscaped() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec-escaped")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            let notFound = try await ChildProcess.run(
                binary, ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "no-such-\u{1B}[2J-sd"])
            #expect(notFound.termination == .exited(127))
            #expect(notFound.errorOutput.contains("no-such-\\u{1b}[2J-sd: command not found"), "\(notFound.errorOutput)")
            let badBinding = try await ChildProcess.run(
                binary, ["exec", "--socket", fake.path, "--env", "A\u{1B}[2J", "--", "/bin/true"])
            #expect(badBinding.termination == .exited(64))
            #expect(badBinding.errorOutput.contains("--env A\\u{1b}[2J: expected"), "\(badBinding.errorOutput)")
            for output in [notFound.errorOutput, badBinding.errorOutput] { #expect(!output.contains("\u{1B}")) }
        }
    }

    /// The command gets its arguments byte for byte, bytes that are not UTF-8 included, from the
    /// front binary and the full one alike (Swift's own view of argv repairs them to U+FFFD).
    @Test func execPassesArgumentsThatAreNotUTF8ByteForByte() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec-bytes")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            let ran = try await ChildProcess.run(
                "/bin/sh",
                [
                    "-c",
                    #""$0" exec --socket "$1" --env A=prod:db -- sh -c 'printf %s "$1" | od -An -tx1' sh "$(printf '\377\376x')""#,
                    binary, fake.path,
                ])
            #expect(ran.termination == .exited(0), "\(binary): \(ran.errorOutput)")
            #expect(ran.output.split(separator: " ").map(String.init) == ["ff", "fe", "78\n"], "\(binary): \(ran.output)")
        }
    }

    @Test func getThroughTheBinaryWritesRawBytes() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let binary = try DaemonProcess.binaryPath()
        let output = directory.path("out")
        let ran = try await ChildProcess.run(
            "/bin/sh", ["-c", #""$0" get --socket "$1" prod blob > "$2""#, binary, fake.path, output])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data([0x00, 0xff, 0x41, 0x0a, 0x00]))
        let both = try await ChildProcess.run(
            binary, ["get", "--socket", fake.path, "--version-id", "a", "--version-stage", "b", "prod", "db"])
        #expect(both.termination == .exited(64))
    }
}

/// The front binary (`secrets-delegate`) serves a plain `get --socket` itself and hands every
/// other command line to the full binary (`secrets-delegated`), which it becomes.
@Suite struct FrontBinaryTests {
    /// What a command printed and how it ended, with the task id of a `--json` line blanked.
    private func outcome(_ binary: String, _ arguments: [String], in directory: TemporaryDirectory) async throws
        -> (status: ChildProcess.Termination, output: Data, errorOutput: String)
    {
        let output = directory.path("out-\(UUID().uuidString)")
        let ran = try await ChildProcess.run("/bin/sh", ["-c", #"f=$1; shift; exec "$@" > "$f""#, "sh", output, binary] + arguments)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        if let text = String(data: bytes, encoding: .utf8), text.hasPrefix("{") {
            bytes = Data(text.replacing(/"id":"get-[0-9a-f-]{36}"/, with: #""id":"ID""#).utf8)
        }
        return (ran.termination, bytes, ran.errorOutput)
    }

    @Test func aPlainGetAnswersAsTheFullBinaryDoes() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let front = try DaemonProcess.binaryPath()
        let full = try DaemonProcess.fullBinaryPath()
        let cases: [[String]] = [
            ["get", "--socket", fake.path, "prod", "db"],
            ["get", "prod", "--socket=\(fake.path)", "db#password", "--version-stage", "AWSPREVIOUS"],
            ["get", "--socket", fake.path, "--version-id", "v-1", "prod", "blob"],
            ["get", "--json", "--socket", fake.path, "prod", "db"],
            ["get", "--socket", fake.path, "prod", "absent"],
            ["get", "--socket", directory.path("no.sock"), "prod", "db"],
            ["get", "--socket", fake.path, "--config", directory.path("none.toml"), "prod", "db"],
            ["get", "--socket", fake.path, "--refresh", "prod", "refreshed"],
            ["get", "--socket", fake.path, "prod", "refreshed"],
        ]
        for arguments in cases {
            #expect(GetCommandLine(arguments) != nil, "\(arguments) is not served by the front binary")
            let served = try await outcome(front, arguments, in: directory)
            let reference = try await outcome(full, arguments, in: directory)
            #expect(served.status == reference.status, "\(arguments)")
            #expect(served.output == reference.output, "\(arguments)")
            #expect(served.errorOutput == reference.errorOutput, "\(arguments)")
        }
        let value = try await outcome(front, cases[0], in: directory)
        #expect(value.status == .exited(0) && value.output == Data("s3cr3t-é".utf8))
        let absent = try await outcome(front, cases[4], in: directory)
        #expect(absent.status == .exited(1) && absent.errorOutput.contains("ResourceNotFoundException"))
        // --refresh asks past the read cache (`"refresh": true` in the task's params); without it
        // the task has no refresh at all.
        #expect(try await outcome(front, cases[7], in: directory).output == Data("refresh=1".utf8))
        #expect(try await outcome(front, cases[8], in: directory).output == Data("refresh=absent".utf8))
    }

    /// Whether the command was found decides the status, not the last errno: a file that cannot
    /// be looked at was found, 126, but a script whose `#!` interpreter is missing (execve says
    /// ENOENT) is 127 with its own message, as bash, dash and env(1) say; a name found nowhere is 127
    /// even when PATH's last entry is a file (execvp then says ENOTDIR), or a directory of its
    /// name is on PATH (execvp says EACCES), and so is an empty name.
    /// Both binaries alike.
    @Test func execSaysWhetherTheCommandWasFound() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-found")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let bin = directory.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let noInterpreter = bin + "/sd-no-interpreter"
        try Data("#!/nonexistent/sd-interpreter\n".utf8).write(to: URL(fileURLWithPath: noInterpreter))
        #expect(chmod(noInterpreter, 0o755) == 0)
        let plainFile = directory.path("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: plainFile))
        let loop = directory.path("loop")
        #expect(symlink(loop, loop) == 0)
        let cases: [(arguments: [String], path: String, status: Int32, message: String)] = [
            // A path given that cannot be looked at names something, maybe: not run, 126, as bash
            // and env(1) say (a directory that is none, a link loop; EACCES for a user alike).
            (["--", plainFile + "/x"], "/usr/bin:/bin", 126, "cannot run \(plainFile)/x: Not a directory"),
            (["--", loop], "/usr/bin:/bin", 126, "cannot run \(loop): Too many levels of symbolic links"),
            (["--", noInterpreter], "/usr/bin:/bin", 127,
             "cannot run \(noInterpreter): its #! interpreter or its program loader does not exist"),
            (["--", "sd-no-interpreter"], "/usr/bin:\(bin):/bin", 127,
             "cannot run sd-no-interpreter: its #! interpreter or its program loader does not exist"),
            (["--", "no-such-command-sd"], "/usr/bin:/bin:\(plainFile)", 127, "no-such-command-sd: command not found"),
            // A directory of the command's name on PATH is no command to bash and dash either.
            (["--", "bin"], "\(directory.url.path):/usr/bin:/bin", 127, "bin: command not found"),
            (["--", directory.path("absent")], "/usr/bin:/bin", 127, "\(directory.path("absent")): command not found"),
            // An empty name is found nowhere (in a PATH entry it would name the directory).
            (["--", ""], "/usr/bin:/bin", 127, ": command not found"),
        ]
        for (index, entry) in cases.enumerated() {
            let arguments = ["exec", "--socket", fake.path, "--env", "A=prod:db"] + entry.arguments
            for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
                let ran = try await ChildProcess.run(binary, arguments, environment: ["PATH": entry.path])
                #expect(ran.termination == .exited(entry.status), "case \(index) \(binary)")
                #expect(ran.errorOutput == "secrets-delegate: \(entry.message)\n", "case \(index) \(binary)")
            }
        }
    }

    /// A variable given twice is a usage error (64) before anything is read: the full binary
    /// does not load the configuration (one that cannot be read would make it 78) first.
    @Test func aVariableGivenTwiceIsAUsageErrorBeforeTheConfigurationIsRead() async throws {
        let ran = try await ChildProcess.run(
            try DaemonProcess.fullBinaryPath(),
            ["exec", "--config", "/nonexistent/delegate.toml", "--env", "A=prod:db", "--env", "A=prod:x", "--", "env"])
        #expect(ran.termination == .exited(64), "\(ran.errorOutput)")
        #expect(ran.errorOutput.contains("--env A is given twice"), "\(ran.errorOutput)")
    }

    /// A plain `exec --socket` runs in the front binary, and ends as in the full binary: the
    /// command's own output with the values in its environment, or the same line and status.
    @Test func aPlainExecRunsAsTheFullBinaryDoes() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let front = try DaemonProcess.binaryPath()
        let full = try DaemonProcess.fullBinaryPath()
        let notExecutable = directory.path("not-executable")
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: notExecutable))
        // As env(1): a file found on PATH but not executable is 126, not "not found"; an
        // executable file without #! is run by /bin/sh.
        let bin = directory.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: bin + "/sd-not-executable"))
        let noShebang = bin + "/sd-no-shebang"
        try Data("printf 'by sh:%s' \"$A\"\n".utf8).write(to: URL(fileURLWithPath: noShebang))
        #expect(chmod(noShebang, 0o755) == 0)
        let environment = ["PATH": bin + ":/usr/bin:/bin", "KEEP": "kept", "A": "replaced"]
        let show = ["--", "sh", "-c", #"printf '%s|%s|%s' "$A" "$B" "$KEEP""#]
        let cases: [[String]] = [
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--env=B=prod:db#password"] + show,
            ["exec", "--env", "A=prod:db", "--socket", fake.path, "--env", "B=prod:absent"] + show,
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "A=prod:db#password"] + show,
            ["exec", "--socket", fake.path, "--env", "N=prod:nul"] + show,
            ["exec", "--socket", directory.path("no.sock"), "--env", "A=prod:db"] + show,
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "no-such-command-sd"],
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", notExecutable],
            ["exec", "--socket", fake.path, "--config", directory.path("none.toml"), "--env", "B=prod:db"] + show,
            // The command starts with the signal mask of the caller (none blocked, as ChildProcess
            // starts both), not that of the full binary's worker thread, which blocks most.
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "grep", "^SigBlk", "/proc/self/status"],
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "sd-not-executable"],
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "sd-no-shebang"],
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", noShebang],
            // The usage error before the command is looked for, as the full binary's parser.
            ["exec", "--socket", fake.path, "--env", "A=prod:db", "--env", "A=prod:x", "--", "no-such-command-sd"],
            // --refresh asks past the read cache for every value.
            ["exec", "--socket", fake.path, "--refresh", "--env", "A=prod:refreshed", "--env", "B=prod:db"] + show,
        ]
        var statuses: [ChildProcess.Termination] = []
        for arguments in cases {
            #expect(ExecCommandLine(arguments) != nil, "\(arguments) is not served by the front binary")
            let served = try await ChildProcess.run(front, arguments, environment: environment)
            let reference = try await ChildProcess.run(full, arguments, environment: environment)
            #expect(served.termination == reference.termination, "\(arguments)")
            #expect(served.output == reference.output, "\(arguments)")
            #expect(served.errorOutput == reference.errorOutput, "\(arguments)")
            #expect(!served.errorOutput.contains("s3cr3t") && !served.errorOutput.contains("pw-canary"), "\(arguments)")
            statuses.append(served.termination)
        }
        #expect(statuses == [0, 1, 64, 1, 69, 127, 126, 0, 0, 126, 0, 0, 64, 0].map { .exited($0) })
        #expect(try await ChildProcess.run(front, cases[13], environment: environment).output == "refresh=1|s3cr3t-é|kept")
        for index in [10, 11] {
            #expect(try await ChildProcess.run(front, cases[index], environment: environment).output == "by sh:s3cr3t-é")
        }
        let ran = try await ChildProcess.run(front, cases[0], environment: environment)
        #expect(ran.output == "s3cr3t-é|pw-canary|kept")
        let mask = try await ChildProcess.run(full, cases[8], environment: environment)
        #expect(mask.output == "SigBlk:\t0000000000000000\n")
        // And with the caller's nice value (`nice`, a unit's `Nice=`), not the one a Dispatch
        // worker thread sets itself (per thread on Linux, kept by execve).
        let nice = [
            "exec", "--socket", fake.path, "--env", "A=prod:db", "--", "/bin/sh", "-c",
            "cut -d' ' -f19 /proc/self/stat",
        ]
        for binary in [front, full] {
            let niced = try await ChildProcess.run("/usr/bin/nice", ["-n", "5", binary] + nice, environment: environment)
            #expect(niced.output == "5\n", "\(binary): \(niced)")
        }
    }

    /// A value that cannot be written (here: a full disk) is an error, 74, never a short value
    /// with status 0; both binaries say so alike.
    @Test func aValueThatCannotBeWrittenIsStatus74() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        var outcomes: [ChildProcess.Outcome] = []
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            let ran = try await ChildProcess.run(
                "/bin/sh", ["-c", #"exec "$@" > /dev/full"#, "sh", binary, "get", "--socket", fake.path, "prod", "db"])
            #expect(ran.termination == .exited(74), "\(binary): \(ran.errorOutput)")
            #expect(ran.errorOutput == "secrets-delegate: cannot write the value to standard output: No space left on device\n")
            outcomes.append(ran)
        }
        #expect(!outcomes.contains { $0.errorOutput.contains("s3cr3t") })
    }

    /// A copy of the front binary alone: `get --socket` and `exec --socket` work without the full
    /// binary (so it was not used), anything else says the full binary cannot be run (69).
    @Test func servesGetAndExecWithoutTheFullBinaryAndNamesItWhenMissing() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let alone = directory.path("secrets-delegate")
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: alone)
        let got = try await TestExecutable.run(alone, ["get", "--socket", fake.path, "prod", "db#password"])
        #expect(got.termination == .exited(0), "\(got.errorOutput)")
        #expect(got.output == "pw-canary")
        let executed = try await TestExecutable.run(
            alone, ["exec", "--socket", fake.path, "--env", "PW=prod:db#password", "--", "/bin/sh", "-c", #"printf %s "$PW""#])
        #expect(executed.termination == .exited(0), "\(executed.errorOutput)")
        #expect(executed.output == "pw-canary")
        for arguments in [["--version"], ["get", "prod", "db"], ["get", "--socket", fake.path, "--help"]] {
            let deferred = try await TestExecutable.run(alone, arguments)
            #expect(deferred.termination == .exited(69), "\(arguments)")
            #expect(deferred.errorOutput.hasPrefix("secrets-delegate: cannot run "), "\(deferred.errorOutput)")
            #expect(deferred.errorOutput.contains(directory.path("secrets-delegated") + ": No such file"), "\(deferred.errorOutput)")
        }
    }

    /// The full binary's path is said escaped: a directory named with a newline and a terminal's
    /// escape keeps the line one, with neither raw in it.
    @Test func namesAMissingFullBinaryOnOneLineWhateverItsDirectoryHolds() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let odd = directory.path("a\nb\u{1B}[31mc")
        try FileManager.default.createDirectory(atPath: odd, withIntermediateDirectories: false)
        let alone = odd + "/secrets-delegate"
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: alone)
        let ran = try await TestExecutable.run(alone, ["--version"])
        #expect(ran.termination == .exited(69))
        #expect(
            ran.errorOutput
                == "secrets-delegate: cannot run \(directory.path("a\\u{a}b\\u{1b}[31mc"))/secrets-delegated: No such file or directory\n",
            "\(ran.errorOutput)")
    }

    /// The packaged layout, `PREFIX/bin/secrets-delegate` and
    /// `PREFIX/libexec/secrets-delegate/secrets-delegated`: the front binary finds the full one,
    /// and a missing one is named by its libexec path.
    @Test func aFrontInABinDirectoryRunsTheFullBinaryFromLibexec() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let prefix = directory.path("prefix")
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: prefix + "/bin/secrets-delegate")
        let missing = try await TestExecutable.run(prefix + "/bin/secrets-delegate", ["--version"])
        #expect(missing.termination == .exited(69))
        #expect(
            missing.errorOutput
                == "secrets-delegate: cannot run \(prefix)/libexec/secrets-delegate/secrets-delegated: No such file or directory\n")

        try FileManager.default.createDirectory(atPath: prefix + "/libexec/secrets-delegate", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: prefix + "/libexec/secrets-delegate/secrets-delegated", withDestinationPath: try DaemonProcess.fullBinaryPath())
        let found = try await TestExecutable.run(prefix + "/bin/secrets-delegate", ["--version"])
        #expect(found.termination == .exited(0), "\(found.errorOutput)")
        #expect(found.output == (try await ChildProcess.run(try DaemonProcess.fullBinaryPath(), ["--version"])).output)
    }

    /// The packaged layout under a directory whose name is not UTF-8 (Latin-1 `café`): the full
    /// binary is found by the path's bytes (a repaired name would not exist, and the front would
    /// exit 69). Run through a link with a UTF-8 name, so `/proc/self/exe` holds the real bytes.
    @Test func aFrontUnderADirectoryNamedInLatin1FindsTheFullBinary() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let prefix = directory.path("utf8-name")
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/libexec/secrets-delegate", withIntermediateDirectories: true)
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: prefix + "/bin/secrets-delegate")
        try TestExecutable.copy(try DaemonProcess.fullBinaryPath(), to: prefix + "/libexec/secrets-delegate/secrets-delegated")
        let latin1 = Array(directory.path("caf").utf8) + [0xE9, 0]
        let renamed = (Array(prefix.utf8) + [0]).withUnsafeBufferPointer { from in
            latin1.withUnsafeBufferPointer { to in
                from.withMemoryRebound(to: CChar.self) { from in
                    to.withMemoryRebound(to: CChar.self) { to in rename(from.baseAddress!, to.baseAddress!) }
                }
            }
        }
        #expect(renamed == 0)
        let linked = latin1.withUnsafeBufferPointer { target in
            target.withMemoryRebound(to: CChar.self) { symlink($0.baseAddress!, directory.path("link")) }
        }
        #expect(linked == 0)
        let found = try await TestExecutable.run(directory.path("link") + "/bin/secrets-delegate", ["--version"])
        #expect(found.termination == .exited(0), "\(found.errorOutput)")
        #expect(found.output == (try await ChildProcess.run(try DaemonProcess.fullBinaryPath(), ["--version"])).output)
    }

    /// What the full binary is handed: a stand-in `secrets-delegated` next to a copy of the front
    /// binary writes down its arguments (NUL-separated) and one variable. Arguments that are not
    /// UTF-8 arrive byte for byte.
    @Test func theFullBinaryGetsTheArgumentsByteForByteAndTheEnvironment() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let front = directory.path("secrets-delegate")
        try TestExecutable.copy(try DaemonProcess.binaryPath(), to: front)
        let record = directory.path("argv")
        let standIn = directory.path("secrets-delegated")
        try TestExecutable.write(Data("#!/bin/sh\nprintf '%s\\0' \"$0\" \"$@\" \"$PROBE\" > \"$RECORD\"\n".utf8), to: standIn)
        let ran = try await TestExecutable.run(
            "/bin/sh", ["-c", #"exec "$0" check-config --config "$(printf '/x\377y')" "é""#, front],
            environment: ["PATH": "/usr/bin:/bin", "PROBE": "probe-value", "RECORD": record])
        #expect(ran.termination == .exited(0), "\(ran.errorOutput)")
        let recorded = try Data(contentsOf: URL(fileURLWithPath: record))
        var expected = Data()
        for part in [
            Data(standIn.utf8), Data("check-config".utf8), Data("--config".utf8), Data([0x2F, 0x78, 0xFF, 0x79]),
            Data("é".utf8), Data("probe-value".utf8),
        ] {
            expected.append(part)
            expected.append(0)
        }
        // (A script's $0 is its own path: the kernel drops the argv[0] it was given.)
        #expect(recorded == expected, "\(String(decoding: recorded, as: UTF8.self).debugDescription)")
    }

    /// A path before `--` that is not UTF-8 would reach the parsers repaired (U+FFFD for each bad
    /// byte) and name another file: a usage error in both binaries, the front handing it to the
    /// full binary. An exec's command after `--` still goes byte for byte.
    @Test func anArgumentBeforeTheCommandThatIsNotUTF8IsAUsageError() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            let get = try await TestExecutable.run(
                "/bin/sh", ["-c", #"exec "$0" get --socket "$(printf '/tmp/sd\351/delegate.sock')" prod db"#, binary],
                environment: ["PATH": "/usr/bin:/bin"])
            #expect(get.termination == .exited(64), "\(binary): \(get.errorOutput)")
            #expect(get.errorOutput.hasPrefix("secrets-delegate: argument 3 is not UTF-8 ("), "\(get.errorOutput)")
            #expect(get.errorOutput.hasSuffix("; paths and names (before exec's --) must be\n"), "\(get.errorOutput)")
            // After `--` too, where the operand is a file to read (submit's task).
            let operand = try await TestExecutable.run(
                "/bin/sh", ["-c", #"exec "$0" submit --socket /nonexistent/s.sock -- "$(printf '/tmp/t\351.json')""#, binary],
                environment: ["PATH": "/usr/bin:/bin"])
            #expect(operand.termination == .exited(64), "\(binary): \(operand.errorOutput)")
            #expect(operand.errorOutput.hasPrefix("secrets-delegate: argument 5 is not UTF-8 ("), "\(operand.errorOutput)")
            let exec = try await TestExecutable.run(
                "/bin/sh",
                [
                    "-c",
                    #"exec "$0" exec --socket "$1" --env A=prod:db -- /bin/sh -c 'printf %s "$1" | od -An -tx1' sh "$(printf 'caf\351')""#,
                    binary, fake.path,
                ],
                environment: ["PATH": "/usr/bin:/bin"])
            #expect(exec.termination == .exited(0), "\(binary): \(exec.errorOutput)")
            #expect(exec.output.split(separator: " ").joined(separator: " ") == "63 61 66 e9\n", "\(exec.output.debugDescription)")
        }
    }

    /// A closed pipe stops `get` with SIGPIPE in both binaries (as most tools), not with 74.
    @Test func aClosedPipeStopsGetWithSIGPIPE() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        for binary in [try DaemonProcess.binaryPath(), try DaemonProcess.fullBinaryPath()] {
            // The reader is gone before get starts (a pipe whose read end is closed; python gives
            // its child SIGPIPE's default action): -13 is killed by SIGPIPE.
            let ran = try await ChildProcess.run(
                "/usr/bin/python3",
                [
                    "-c",
                    "import os, subprocess, sys; r, w = os.pipe(); os.close(r); "
                        + "print(subprocess.run(sys.argv[1:], stdout=w).returncode)",
                    binary, "get", "--socket", fake.path, "prod", "db",
                ])
            #expect(ran.termination == .exited(0))
            #expect(ran.output == "-13\n", "\(binary): \(ran.output) \(ran.errorOutput)")
            #expect(!ran.errorOutput.contains("s3cr3t"))
        }
    }

    /// Other command lines reach the full binary with their arguments and environment.
    @Test func everythingElseIsTheFullBinarysAnswer() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-front")
        let configuration = directory.path("delegate.toml")
        try Data("[delegate]\nname = \"front\"\n".utf8).write(to: URL(fileURLWithPath: configuration))
        let front = try DaemonProcess.binaryPath()
        let full = try DaemonProcess.fullBinaryPath()
        let environment = ["PATH": "/usr/bin:/bin", "SECRETS_DELEGATE_DELEGATE_TAGS": "from-the-environment"]
        let cases: [[String]] = [
            ["--version"], ["get", "--help"], ["get", "prod"], ["check-config", "--config", "/nonexistent/x.toml"],
            ["get", "--socket", directory.path("d.sock"), "--config=", "prod", "db"],
            ["check-config", "--config", configuration],
        ]
        for arguments in cases {
            #expect(GetCommandLine(arguments) == nil, "\(arguments) is served by the front binary itself")
            let served = try await ChildProcess.run(front, arguments, environment: environment)
            let reference = try await ChildProcess.run(full, arguments, environment: environment)
            #expect(served.termination == reference.termination, "\(arguments)")
            #expect(served.output == reference.output, "\(arguments)")
            #expect(served.errorOutput == reference.errorOutput, "\(arguments)")
        }
        let emptyValue = try await ChildProcess.run(front, cases[4])
        #expect(emptyValue.termination == .exited(64), "`--config=` takes the next argument: \(emptyValue.errorOutput)")
        let checked = try await ChildProcess.run(front, cases[5], environment: environment)
        #expect(checked.output.contains("from-the-environment"), "\(checked.output)")
    }
}
