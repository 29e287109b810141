import Foundation
import Sealing
import Testing
import TestSupport

@testable import Delegate

/// The built daemon and command line with sealed results: a task with `sealTo` on the spool
/// and, through `submit --seal`, on the socket. The secret value must appear in no result file,
/// no log line, nowhere but the opened output.
@Suite struct SealedResultEndToEndTests {
    @Test func sealedResultsThroughSpoolAndSocket() async throws {
        let canary = "CANARYsealed\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let server = try LoopbackHTTPServer { _ in
            DaemonTestFixtures.getSecretValueResponse(name: "e2e/db", value: canary)
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "sealed")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": "AKIDSEALTEST", "secret-key": "seal-test-secret"], in: directory)
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("sealed"), tags: ["sealed"], directory: directory,
                endpoint: server.baseURL),
            environment: DaemonTestFixtures.environment(), logToJournal: false, directory: directory)
        let binary = try DaemonProcess.binaryPath()
        let environment = ["PATH": "/usr/bin:/bin"]

        // keygen: the private key to a new file, the public key on stdout.
        let keyPath = directory.path("result.key")
        let keygen = try await ChildProcess.run(binary, ["keygen", "--out", keyPath], environment: environment)
        #expect(keygen.termination == .exited(0), "\(keygen.errorOutput)")
        let publicKey = keygen.output.trimmingCharacters(in: .whitespacesAndNewlines)

        func task(_ id: String, sealTo: String?) throws -> String {
            var text = try DaemonTestFixtures.task(id: id, operation: "getSecretValue", params: ["name": "db"])
            if let sealTo { text = #"{"sealTo":"\#(sealTo)","# + text.dropFirst() }
            return text
        }
        let spool = SpoolDirectory(path: directory.path("spool"))
        try spool.enqueue(id: "sealed", json: try task("sealed", sealTo: publicKey))
        try spool.enqueue(id: "bad-key", json: try task("bad-key", sealTo: "AAAA"))
        try daemon.start()

        let sealed = try await spool.waitForResult(id: "sealed")
        #expect(sealed["status"] as? String == "succeeded", "\(sealed)")
        #expect(sealed["result"] == nil)
        let box = try #require(sealed["sealed"] as? [String: Any], "\(sealed)")
        #expect(box["alg"] as? String == "HPKE-X25519-SHA256-ChaCha20Poly1305")
        let resultPath = directory.path("spool/done/sealed.json")
        let resultFile = try String(contentsOfFile: resultPath, encoding: .utf8)
        #expect(!resultFile.contains(canary))

        // An independent HPKE (pyhpke) opens the result the delegate wrote with only what
        // INTERFACE section 13 gives a recipient: the key file's base64, the box's enc and
        // ciphertext, the info string and the task id as aad.
        let keyText = try String(contentsOfFile: keyPath, encoding: .utf8)
        let privateKey = try #require(Data(base64Encoded: keyText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let enc = try #require((box["enc"] as? String).flatMap { Data(base64Encoded: $0) })
        let ciphertext = try #require((box["ciphertext"] as? String).flatMap { Data(base64Encoded: $0) })
        let plaintext = try #require(
            try await PyHPKE.open(
                privateKey: Array(privateKey), enc: Array(enc), info: Array("secrets-delegate result v1".utf8),
                aad: Array("sealed".utf8), ciphertext: Array(ciphertext)),
            "pyhpke could not open the delegate's result")
        let inner = try #require(try JSONSerialization.jsonObject(with: Data(plaintext)) as? [String: Any])
        #expect(inner["secretString"] as? String == canary, "\(inner.keys.sorted())")

        let rejected = try await spool.waitForResult(id: "bad-key")
        #expect(rejected["status"] as? String == "rejected")
        #expect((rejected["error"] as? [String: Any])?["code"] as? String == "InvalidTask")

        // open: the result with sealed replaced by the result it holds.
        let opened = try await ChildProcess.run(
            binary, ["open", "--key", keyPath, resultPath], environment: environment)
        #expect(opened.termination == .exited(0), "\(opened.errorOutput)")
        let openedResult = try TaskResult.decode(jsonLine: Data(opened.output.utf8))
        #expect(openedResult.result?["secretString"]?.stringValue == canary)
        #expect(openedResult.sealed == nil)
        #expect(openedResult.id == "sealed")

        // A key that is not the recipient's: exit 1, nothing on stdout.
        let otherKey = directory.path("other.key")
        _ = try await ChildProcess.run(binary, ["keygen", "--out", otherKey], environment: environment)
        let refused = try await ChildProcess.run(
            binary, ["open", "--key", otherKey, "-"], environment: environment, input: Data(resultFile.utf8))
        #expect(refused.termination == .exited(1))
        #expect(refused.output.isEmpty)

        // submit --seal over the socket: the daemon answers sealed, submit prints it opened.
        let submitted = try await ChildProcess.run(
            binary, ["submit", "--seal", "--wait", "--socket", directory.path("delegate.sock"), "-"],
            environment: environment, input: Data(try task("over-socket", sealTo: nil).utf8))
        #expect(submitted.termination == .exited(0), "\(submitted.errorOutput)")
        let submittedResult = try TaskResult.decode(jsonLine: Data(submitted.output.utf8))
        #expect(submittedResult.result?["secretString"]?.stringValue == canary)
        #expect(submittedResult.id == "over-socket")

        #expect(try await daemon.stop() == .exited(0))
        let logs = daemon.stderrText + daemon.stdoutText
        #expect(logs.contains("over-socket"))
        #expect(!logs.contains(canary))
    }
}
