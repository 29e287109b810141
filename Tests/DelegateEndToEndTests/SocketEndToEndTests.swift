import Foundation
import Glibc
import TestSupport
import Testing

/// The delegate's socket, spoken to by separate client processes.
@Suite struct SocketEndToEndTests {
    /// Starts a socket-only delegate and opens the socket file's mode, so that what admits or
    /// refuses a peer is the delegate's SO_PEERCRED check, not the file's permissions.
    func startSocketDelegate(_ fixture: EndToEndFixture, name: String, allowedUsers: [String]) async throws
        -> DaemonProcess
    {
        let config = fixture.configuration(name: name, tags: ["sock"], socket: true, allowedUsers: allowedUsers)
        let daemon = try fixture.start(configuration: config, name: name)
        let path = fixture.socketPath(name)
        #expect(await daemon.waitUntilReady())
        chmod(fixture.root, 0o755)
        chmod(path, 0o666)
        return daemon
    }

    @Test func aPeerThatIsNotAllowedIsRefusedAndAnAllowedOneGetsItsResults() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let task = try EndToEndFixture.line(
            fixture.task(
                id: "from-nobody", operation: "getRandomPassword", params: ["passwordLength": 12], selectors: ["sock"]))

        let closed = try await startSocketDelegate(fixture, name: "closed", allowedUsers: [])
        let refused = try await SocketPeer.exchange(path: fixture.socketPath("closed"), lines: [task], asNobody: true)
        // One refusal line; the client may then see a reset, since its task was never read.
        #expect(refused.filter { !$0.hasPrefix("<") }.count == 1, "\(refused)")
        #expect(SocketPeer.object(refused.first ?? "")?["error"] as? String == "PeerNotAllowed")
        #expect(!closed.stderrText.contains("task_id=from-nobody"), "a refused peer's task was read")
        #expect(closed.stderrText.contains("socket peer not allowed"))
        #expect(try await closed.stop() == .exited(0))

        let open = try await startSocketDelegate(fixture, name: "open", allowedUsers: ["nobody"])
        let answered = try await SocketPeer.exchange(path: fixture.socketPath("open"), lines: [task], asNobody: true)
        #expect(answered.count == 1, "\(answered)")
        let result = try #require(SocketPeer.object(answered.first ?? ""))
        #expect(result["id"] as? String == "from-nobody")
        #expect(result["status"] as? String == "succeeded")
        #expect(((result["result"] as? [String: Any])?["randomPassword"] as? String)?.count == 12)
        #expect(try await open.stop() == .exited(0))
    }

    @Test func eachKindOfInvalidTaskIsRejectedAndTheNextValidTaskStillRuns() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let daemon = try await startSocketDelegate(fixture, name: "strict", allowedUsers: [])
        var plaintext = fixture.task(id: "plaintext-key", operation: "getRandomPassword", selectors: ["sock"])
        plaintext["connector"] =
            [
                "id": "leaky", "region": "us-east-1", "delegateSelectors": ["sock"],
                "credentials": [
                    "type": "accessKey", "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI-canary",
                ],
            ] as [String: Any]
        let cases: [(line: Data, id: String?, code: String, mentions: String)] = [
            (Data("this is not json".utf8), nil, "InvalidTask", "JSON"),
            (
                try EndToEndFixture.line(fixture.task(id: "unknown-op", operation: "frobnicate", selectors: ["sock"])),
                "unknown-op", "InvalidTask", "frobnicate"
            ),
            (
                try EndToEndFixture.line(
                    fixture.task(id: "bad id/..", operation: "getRandomPassword", selectors: ["sock"])),
                nil, "InvalidTask", "id"
            ),
            (
                try EndToEndFixture.line(
                    fixture.task(id: "no-params", operation: "getSecretValue", selectors: ["sock"])),
                "no-params", "InvalidTask", "name"
            ),
            (try EndToEndFixture.line(plaintext), "plaintext-key", "InvalidTask", "secretAccessKey"),
            (
                try EndToEndFixture.line(
                    fixture.task(
                        id: "bad-name", operation: "getSecretValue", params: ["name": "no spaces!"], selectors: ["sock"]
                    )),
                "bad-name", "InvalidSecretName", "no spaces!"
            ),
            (
                try EndToEndFixture.line(
                    fixture.task(id: "elsewhere", operation: "getRandomPassword", selectors: ["gpu", "sock"])),
                "elsewhere", "NotSelected", "gpu"
            ),
        ]
        let valid = try EndToEndFixture.line(
            fixture.task(
                id: "valid-after", operation: "getRandomPassword", params: ["passwordLength": 8], selectors: ["sock"]))
        let answers = try await SocketPeer.exchange(
            path: fixture.socketPath("strict"), lines: cases.map(\.line) + [valid])
        let results = answers.compactMap(SocketPeer.object)
        #expect(results.count == cases.count + 1, "\(answers)")
        for expected in cases {
            let match = results.first { result in
                let error = result["error"] as? [String: Any]
                return error?["code"] as? String == expected.code
                    && (expected.id == nil || result["id"] as? String == expected.id)
                    && (error?["message"] as? String ?? "").contains(expected.mentions)
            }
            #expect(
                match?["status"] as? String == "rejected",
                "no rejection \(expected.code) mentioning \(expected.mentions): \(results)")
        }
        let validResult = results.first { $0["id"] as? String == "valid-after" }
        #expect(validResult?["status"] as? String == "succeeded")
        // The plaintext key was refused without being echoed anywhere.
        #expect(!answers.joined().contains("wJalrXUtnFEMI-canary"))
        #expect(!daemon.stderrText.contains("wJalrXUtnFEMI-canary"))

        // A line over 1 MiB is refused and its connection closed; the delegate keeps serving.
        let oversize =
            Data(#"{"id":"huge","pad":""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: 1 << 20) + Data(#""}"#.utf8)
        let refused = try await SocketPeer.exchange(path: fixture.socketPath("strict"), lines: [oversize, valid])
        #expect(refused.count == 1 && SocketPeer.object(refused[0])?["error"] as? String == "LineTooLong", "\(refused)")
        let after = try await SocketPeer.exchange(path: fixture.socketPath("strict"), lines: [valid])
        #expect(SocketPeer.object(after.first ?? "")?["status"] as? String == "succeeded")

        // {"control":"status"} reports the counts so far.
        let status = try await SocketPeer.exchange(
            path: fixture.socketPath("strict"), lines: [Data(#"{"control":"status"}"#.utf8)])
        let counts = try #require(SocketPeer.object(status.first ?? "")?["counts"] as? [String: Any])
        #expect(counts["rejected"] as? Int == cases.count)
        #expect(counts["succeeded"] as? Int == 2)
        #expect(daemon.exit == nil)
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func testConnectionWithTheSeedsReadOnlyPolicyReportsReadButNotWrite() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("reader", allowing: MotoServer.readOnlyPolicyActions)
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let daemon = try await startSocketDelegate(fixture, name: "tester", allowedUsers: [])
        let lines = [
            try EndToEndFixture.line(
                fixture.task(id: "as-reader", operation: "testConnection", selectors: ["sock"], identity: "reader")),
            try EndToEndFixture.line(
                fixture.task(id: "as-full", operation: "testConnection", selectors: ["sock"], identity: "full")),
        ]
        let results = try await SocketPeer.exchange(path: fixture.socketPath("tester"), lines: lines).compactMap(
            SocketPeer.object)
        let reader = try #require(results.first { $0["id"] as? String == "as-reader" })
        #expect(reader["status"] as? String == "succeeded")
        let readerResult = try #require(reader["result"] as? [String: Any])
        #expect(readerResult["canRead"] as? Bool == true)
        #expect(readerResult["canWrite"] as? Bool == false)
        #expect((readerResult["message"] as? String ?? "").contains("read"))
        let full = try #require(results.first { $0["id"] as? String == "as-full" })
        let fullResult = try #require(full["result"] as? [String: Any])
        #expect(fullResult["canRead"] as? Bool == true)
        #expect(fullResult["canWrite"] as? Bool == true)
        #expect(try await daemon.stop() == .exited(0))
    }
}
