@testable import Delegate
import DelegateClient
import Foundation
import TestSupport
import Testing

/// `get` and `exec` against a socket that plays the delegate (docs/INTERFACE.md section 10).
@Suite struct SecretGetterTests {
    @Test func getPrintsAStringSecretAsItsBytesAndSendsANamedConnectorTask() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let outcome = SecretFetcher(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db", version: .stage("AWSPREVIOUS"))
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Array("s3cr3t-é".utf8))
        #expect(outcome.errorOutput.isEmpty)
        let task = try #require(fake.tasks.first)
        #expect(task["connector"] as? String == "prod")
        #expect(task["operation"] as? String == "getSecretValue")
        #expect((task["id"] as? String)?.hasPrefix("get-") == true)
        #expect((task["params"] as? [String: Any])?["versionStage"] as? String == "AWSPREVIOUS")
    }

    @Test func getPrintsAKeyField() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let outcome = SecretFetcher(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db#password", version: .id("v-1"))
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Array("pw-canary".utf8))
        #expect((fake.tasks.first?["params"] as? [String: Any])?["versionId"] as? String == "v-1")
    }

    @Test func getPrintsABinarySecretsExactBytes() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let outcome = SecretFetcher(socketPath: fake.path, timeout: .seconds(10)).get(connector: "prod", name: "blob")
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == [0x00, 0xff, 0x41, 0x0a, 0x00])
    }

    @Test func getJSONPrintsTheWholeResult() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let outcome = SecretFetcher(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db", json: true)
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.output)) as? [String: Any])
        #expect(object["status"] as? String == "succeeded")
        #expect((object["result"] as? [String: Any])?["secretString"] as? String == "s3cr3t-é")
        #expect(outcome.output.last == UInt8(ascii: "\n"))
    }

    @Test func aFailedTaskExits1WithItsCodeOnStderrAndNothingOnStdout() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        for json in [false, true] {
            let outcome = SecretFetcher(socketPath: fake.path, timeout: .seconds(10))
                .get(connector: "prod", name: "absent", json: json)
            #expect(outcome.status == 1)
            #expect(outcome.output.isEmpty)
            #expect(outcome.errorOutput.hasPrefix("secrets-delegate: ResourceNotFoundException: "))
            #expect(!outcome.errorOutput.contains("\n"))
        }
    }

    @Test func anUnreachableSocketExits69() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let outcome = SecretFetcher(socketPath: directory.path("absent.sock"), timeout: .seconds(5))
            .get(connector: "prod", name: "db")
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("cannot be reached"))
        #expect(
            outcome.errorOutput.contains("no socket is there: the delegate is not running"), "\(outcome.errorOutput)")
    }

    /// A socket file nothing listens on (a delegate killed, its socket left) and one this user
    /// may not connect to each say what to do, for get, submit and status alike.
    @Test func anUnreachableSocketSaysWhatToDo() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-unreachable")
        let left = directory.path("left.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(left.utf8)) }
        #expect(
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            } == 0)
        close(fd)  // bound, never listened on: connect is refused
        let hint = "nothing listens on it: the delegate is not running"
        let get = SecretFetcher(socketPath: left, timeout: .seconds(5)).get(connector: "prod", name: "db")
        #expect(get.status == 69 && get.errorOutput.contains(hint), "\(get.errorOutput)")
        let status = StatusQuery(socketPath: left).run()
        #expect(status.status == 69 && status.errorOutput.contains(hint), "\(status.errorOutput)")
        let submitted = await TaskSubmitter(destination: .socket(left), wait: true, timeout: .seconds(5))
            .submit(Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8))
        #expect(submitted.status == 69 && submitted.errorOutput.contains(hint), "\(submitted.errorOutput)")
        #expect(UnreachableSocket.hint(errno: EACCES).contains("secrets-delegate group"))
        #expect(UnreachableSocket.hint(errno: ETIMEDOUT).isEmpty)
    }

    /// `submit --socket` without `--wait`: a failure the delegate answers at once (within the
    /// 0.2 s it looks for a refusal) is printed and exits 1, as with `--wait`; a success is not
    /// printed ("submitted").
    @Test func anImmediateFailureIsReportedWithoutWait() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-submit-nowait")
        let fake = try FakeDelegateSocket(path: directory.path("d.sock")) { task in
            task["connector"] as? String == "nosuch"
                ? FakeDelegateSocket.failed(
                    task, code: "InvalidTask", message: "connector nosuch is not configured here")
                : FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"nowait-canary"}"#)
        }
        var submitter = TaskSubmitter(destination: .socket(fake.path), wait: false, timeout: .seconds(5))
        // The fake answers at once; the window is long enough for it scheduled late on a loaded
        // host (the delegate's 0.2 s is no promise of the test's).
        submitter.answerWindow = .seconds(30)
        let refused = await submitter.submit(
            Data(#"{"id":"t-1","connector":"nosuch","operation":"getSecretValue","params":{"name":"db"}}"#.utf8))
        #expect(refused.status == ExitStatus.taskFailed, "\(refused.output) \(refused.errorOutput)")
        #expect(refused.output.contains("connector nosuch is not configured here"), "\(refused.output)")
        let ran = await submitter.submit(
            Data(#"{"id":"t-2","connector":"prod","operation":"getSecretValue","params":{"name":"db"}}"#.utf8))
        #expect(ran.status == ExitStatus.success)
        #expect(ran.output == "submitted t-2 to \(fake.path)")
        #expect(!ran.output.contains("nowait-canary") && !ran.errorOutput.contains("nowait-canary"))
    }

    /// `submit --socket` without `--wait` says "submitted" only when the delegate took the task:
    /// a connection closed without an answer (a stop or a reload took it before the task started,
    /// or no delegate holds the path), an answer cut short, or one that is no result is exit 69.
    @Test func withoutWaitOnlyATakenTaskIsSubmitted() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-submit-taken")
        /// Reads the task's line, then writes `answer` (none if nil) and closes after `hold`.
        func peer(_ name: String, answer: String?, hold: Duration = .zero) throws -> (path: String, listener: Int32) {
            let path = directory.path(name)
            let listener = try UnixListener.listen(at: path, backlog: 4)
            Thread.detachNewThread {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                var byte: UInt8 = 0
                while read(connection, &byte, 1) == 1, byte != UInt8(ascii: "\n") {}
                if let answer { _ = Array(answer.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) } }
                Thread.sleep(forTimeInterval: Double(hold.components.seconds))
                close(connection)
            }
            return (path, listener)
        }
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8)
        func submit(_ path: String) async -> CommandOutcome {
            // The peers act at once; the window is long enough for one scheduled late on a loaded
            // host (the delegate's 0.2 s is no promise of the test's).
            var submitter = TaskSubmitter(destination: .socket(path), wait: false, timeout: .seconds(20))
            submitter.answerWindow = .seconds(5)
            return await submitter.submit(task)
        }
        let cases: [(name: String, answer: String?, hold: Duration, status: Int32, says: String)] = [
            (
                "closed.sock", nil, .zero, 69,
                "closed the connection without answering: the task was most likely not taken"
            ),
            // (Held long past the window: a submitter scheduled late must still find it open.)
            ("running.sock", nil, .seconds(30), 0, "submitted t-1 to "),
            ("cut.sock", #"{"id":"t-1","status":"fa"#, .zero, 69, "in the middle of an answer"),
            (
                "stranger.sock", "HTTP/1.1 400 Bad Request\r\n", .zero, 69,
                "answered with something that is not a result"
            ),
        ]
        for expected in cases {
            let (path, listener) = try peer(expected.name, answer: expected.answer, hold: expected.hold)
            defer { close(listener) }
            let outcome = await submit(path)
            #expect(outcome.status == expected.status, "\(expected.name): \(outcome)")
            #expect((outcome.output + outcome.errorOutput).contains(expected.says), "\(expected.name): \(outcome)")
        }
    }

    @Test func bindingsParseAndRefuseBadVariableNames() throws {
        let binding = try EnvironmentExec.Binding(
            parsing: "DB_PW=prod:arn:aws:secretsmanager:us-east-1:123456789012:secret:db#password")
        #expect(binding.variable == "DB_PW")
        #expect(binding.connector == "prod")
        #expect(binding.name == "arn:aws:secretsmanager:us-east-1:123456789012:secret:db#password")
        for bad in ["1A=prod:db", "A-B=prod:db", "=prod:db", "A", "A=prod", "A=:db", "A=prod:"] {
            #expect(throws: EnvironmentExec.Failure.self, "\(bad)") { try EnvironmentExec.Binding(parsing: bad) }
        }
        // A combining mark after the `:` or `=` makes one Character with it: still the first of each.
        let marked = try EnvironmentExec.Binding(parsing: "X=prod:\u{301}db:x")
        #expect(marked.variable == "X" && marked.connector == "prod" && marked.name == "\u{301}db:x")
        let afterEquals = try EnvironmentExec.Binding(parsing: "X=\u{301}prod:db")
        #expect(afterEquals.variable == "X" && afterEquals.connector == "\u{301}prod" && afterEquals.name == "db")
    }

    @Test func execResolvesEveryValueOrNamesTheVariableThatFailed() throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec")
        let fake = try FakeDelegateSocket.secretGetterPeer(in: directory)
        let getter = SecretFetcher(socketPath: fake.path, timeout: .seconds(10))
        func exec(_ bindings: [String]) throws -> EnvironmentExec {
            EnvironmentExec(
                getter: getter, bindings: try bindings.map { try EnvironmentExec.Binding(parsing: $0) },
                command: [Array("/bin/true".utf8)],
                environment: ["KEEP=1", "A=old", "NOEQUALS", "LATIN=\u{FF}", "A=older"].map(bytes))
        }
        func bytes(_ entry: String) -> [UInt8] {
            // One entry that is not UTF-8: it must reach the command byte for byte.
            entry == "LATIN=\u{FF}" ? Array("LATIN=".utf8) + [0xFF] : Array(entry.utf8)
        }
        // The caller's entries in order, byte for byte, but those of a bound name; then the bound.
        let resolved = try exec(["A=prod:db", "B=prod:db#password"]).resolveEnvironment().get()
        #expect(resolved == ["KEEP=1", "NOEQUALS", "LATIN=\u{FF}", "A=s3cr3t-é", "B=pw-canary"].map(bytes))

        guard case .failure(let missing) = try exec(["A=prod:db", "GONE=prod:absent"]).resolveEnvironment() else {
            Issue.record("a missing secret resolved")
            return
        }
        #expect(missing.status == 1)
        #expect(missing.code == "ResourceNotFoundException")
        #expect(missing.description.hasPrefix("GONE: ResourceNotFoundException: "))
        #expect(!missing.description.contains("s3cr3t"))

        guard case .failure(let nul) = try exec(["N=prod:nul"]).resolveEnvironment() else {
            Issue.record("a value with a NUL resolved")
            return
        }
        #expect(nul.status == 1)
        #expect(nul.description.contains("NUL"))

        // A binary secret whose bytes are no UTF-8: refused saying what it likely is.
        guard case .failure(let binary) = try exec(["B=prod:latin1"]).resolveEnvironment() else {
            Issue.record("a value that is not UTF-8 resolved")
            return
        }
        #expect(binary.status == 1)
        #expect(binary.description == "B: the value is not UTF-8 (a binary secret? get writes its bytes)")
    }
}
