import Delegate
import Foundation
import TestSupport
import Testing

/// `get` and `exec` against a socket that plays the delegate (docs/INTERFACE.md section 10).
@Suite struct SecretGetterTests {
    /// A fake delegate answering each task by its `params.name`: `db` a string secret,
    /// `db#password` a field, `blob` a binary secret, `nul` a string holding a NUL, anything
    /// else ResourceNotFoundException.
    static func fakeDelegate(in directory: TemporaryDirectory) throws -> FakeDelegateSocket {
        try FakeDelegateSocket(path: directory.path("d.sock")) { task in
            let name = (task["params"] as? [String: Any])?["name"] as? String
            switch name {
            case "db": return FakeDelegateSocket.succeeded(task, result: #"{"name":"db","secretString":"s3cr3t-é"}"#)
            case "db#password":
                return FakeDelegateSocket.succeeded(task, result: #"{"name":"db#password","value":"pw-canary"}"#)
            case "blob":
                let bytes = Data([0x00, 0xff, 0x41, 0x0a, 0x00]).base64EncodedString()
                return FakeDelegateSocket.succeeded(task, result: #"{"name":"blob","secretBinary":"\#(bytes)"}"#)
            case "nul": return FakeDelegateSocket.succeeded(task, result: #"{"name":"nul","secretString":"a\u0000b"}"#)
            default:
                return FakeDelegateSocket.failed(
                    task, code: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret."
                )
            }
        }
    }

    @Test func getPrintsAStringSecretAsItsBytesAndSendsANamedConnectorTask() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
        let outcome = SecretGetter(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db", version: .stage("AWSPREVIOUS"))
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Data("s3cr3t-é".utf8))
        #expect(outcome.errorOutput.isEmpty)
        let task = try #require(fake.tasks.first)
        #expect(task["connector"] as? String == "prod")
        #expect(task["operation"] as? String == "getSecretValue")
        #expect((task["id"] as? String)?.hasPrefix("get-") == true)
        #expect((task["params"] as? [String: Any])?["versionStage"] as? String == "AWSPREVIOUS")
    }

    @Test func getPrintsAKeyField() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
        let outcome = SecretGetter(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db#password", version: .id("v-1"))
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Data("pw-canary".utf8))
        #expect((fake.tasks.first?["params"] as? [String: Any])?["versionId"] as? String == "v-1")
    }

    @Test func getPrintsABinarySecretsExactBytes() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
        let outcome = SecretGetter(socketPath: fake.path, timeout: .seconds(10)).get(connector: "prod", name: "blob")
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        #expect(outcome.output == Data([0x00, 0xff, 0x41, 0x0a, 0x00]))
    }

    @Test func getJSONPrintsTheWholeResult() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
        let outcome = SecretGetter(socketPath: fake.path, timeout: .seconds(10))
            .get(connector: "prod", name: "db", json: true)
        #expect(outcome.status == 0, "\(outcome.errorOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: outcome.output) as? [String: Any])
        #expect(object["status"] as? String == "succeeded")
        #expect((object["result"] as? [String: Any])?["secretString"] as? String == "s3cr3t-é")
        #expect(outcome.output.last == UInt8(ascii: "\n"))
    }

    @Test func aFailedTaskExits1WithItsCodeOnStderrAndNothingOnStdout() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
        for json in [false, true] {
            let outcome = SecretGetter(socketPath: fake.path, timeout: .seconds(10))
                .get(connector: "prod", name: "absent", json: json)
            #expect(outcome.status == 1)
            #expect(outcome.output.isEmpty)
            #expect(outcome.errorOutput.hasPrefix("secrets-delegate: ResourceNotFoundException: "))
            #expect(!outcome.errorOutput.contains("\n"))
        }
    }

    @Test func anUnreachableSocketExits69() throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let outcome = SecretGetter(socketPath: directory.path("absent.sock"), timeout: .seconds(5))
            .get(connector: "prod", name: "db")
        #expect(outcome.status == 69)
        #expect(outcome.output.isEmpty)
        #expect(outcome.errorOutput.contains("cannot be reached"))
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
    }

    @Test func execResolvesEveryValueOrNamesTheVariableThatFailed() throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec")
        let fake = try Self.fakeDelegate(in: directory)
        let getter = SecretGetter(socketPath: fake.path, timeout: .seconds(10))
        func exec(_ bindings: [String]) throws -> EnvironmentExec {
            EnvironmentExec(
                getter: getter, bindings: try bindings.map { try EnvironmentExec.Binding(parsing: $0) },
                command: ["/bin/true"], environment: ["KEEP": "1"])
        }
        let resolved = try exec(["A=prod:db", "B=prod:db#password"]).resolveEnvironment().get()
        #expect(resolved == ["KEEP": "1", "A": "s3cr3t-é", "B": "pw-canary"])

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
    }

    /// The built binary: two variables reach the command, which replaces it; one failing
    /// variable keeps the command from running at all.
    @Test func execRunsTheCommandWithTheValuesOrNotAtAll() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-exec")
        let fake = try Self.fakeDelegate(in: directory)
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

        let notFound = try await ChildProcess.run(
            binary, ["exec", "--socket", fake.path, "--env", "A=prod:db", "--", "no-such-command-sd"])
        #expect(notFound.termination == .exited(127))
        #expect(notFound.errorOutput.contains("no-such-command-sd: command not found"))
        #expect(!notFound.errorOutput.contains("s3cr3t"))
    }

    @Test func getThroughTheBinaryWritesRawBytes() async throws {
        let directory = try TemporaryDirectory(prefix: "sd-get")
        let fake = try Self.fakeDelegate(in: directory)
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
