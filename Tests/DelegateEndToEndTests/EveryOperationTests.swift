import Foundation
import TestSupport
import Testing

/// Every operation of the spec's table, through the socket, against moto with signature and IAM
/// checks on.
@Suite struct EveryOperationTests {
    @Test func everyOperationRoundTripsWithTheResultShapeOfTheSpec() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let daemon = try fixture.start(
            configuration: fixture.configuration(name: "ops", tags: ["ops"], socket: true), name: "ops")
        #expect(await daemon.waitUntilReady())
        let blob = Data([0, 1, 2, 250, 251, 252]).base64EncodedString()

        func run(_ tasks: [(String, String, [String: Any])]) async throws -> [String: [String: Any]] {
            let lines = try tasks.map { id, operation, params in
                try EndToEndFixture.line(fixture.task(id: id, operation: operation, params: params, selectors: ["ops"]))
            }
            let answers = try await SocketPeer.exchange(path: fixture.socketPath("ops"), lines: lines)
            var byID: [String: [String: Any]] = [:]
            for object in answers.compactMap(SocketPeer.object) {
                if let id = object["id"] as? String { byID[id] = object }
            }
            #expect(byID.count == tasks.count, "\(answers)")
            return byID
        }
        func result(_ results: [String: [String: Any]], _ id: String) -> [String: Any] {
            let object = results[id] ?? [:]
            #expect(object["status"] as? String == "succeeded", "\(id): \(object)")
            return object["result"] as? [String: Any] ?? [:]
        }

        let created = try await run([
            (
                "c1", "createSecret",
                ["name": "app", "secretString": #"{"user":"u","password":"p4ss"}"#, "description": "first"]
            ),
            ("c2", "createSecret", ["name": "blob", "secretBinary": blob]),
        ])
        #expect(result(created, "c1")["name"] as? String == "app")
        #expect((result(created, "c1")["arn"] as? String ?? "").contains(":secret:\(fixture.prefix)/app"))
        #expect(result(created, "c2")["versionId"] is String)

        let second = try await run([
            ("g1", "getSecretValue", ["name": "app#password"]),
            ("g2", "getSecretValue", ["name": "blob"]),
            ("d1", "describeSecret", ["name": "app"]),
            ("l1", "listSecrets", ["all": true]),
            ("r1", "getRandomPassword", ["passwordLength": 24, "excludePunctuation": true]),
        ])
        #expect(result(second, "g1")["value"] as? String == "p4ss")
        #expect(result(second, "g1")["name"] as? String == "app#password")
        #expect(result(second, "g2")["secretBinary"] as? String == blob)
        #expect(result(second, "d1")["description"] as? String == "first")
        let listed = (result(second, "l1")["secrets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(listed) == ["app", "blob"])
        let password = result(second, "r1")["randomPassword"] as? String ?? ""
        #expect(password.count == 24 && password.allSatisfy { $0.isLetter || $0.isNumber })

        let third = try await run([
            ("u1", "updateSecret", ["name": "app", "description": "second"]),
            ("p1", "putSecretValue", ["name": "app", "secretString": #"{"user":"u","password":"n3w"}"#]),
            ("k1", "getSecretValue", ["name": "app#nokey"]),
            ("x1", "deleteSecret", ["name": "blob", "forceDeleteWithoutRecovery": true]),
        ])
        #expect(result(third, "u1")["name"] as? String == "app")
        #expect((result(third, "p1")["versionStages"] as? [String]) == ["AWSCURRENT"])
        #expect(third["k1"]?["status"] as? String == "failed")
        #expect((third["k1"]?["error"] as? [String: Any])?["code"] as? String == "SecretFieldUnavailable")
        #expect(result(third, "x1")["name"] as? String == "blob")

        let after = try await run([
            ("d2", "describeSecret", ["name": "app"]), ("g3", "getSecretValue", ["name": "blob"]),
        ])
        #expect(result(after, "d2")["description"] as? String == "second")
        #expect(after["g3"]?["status"] as? String == "failed")
        #expect((after["g3"]?["error"] as? [String: Any])?["code"] as? String == "ResourceNotFoundException")
        #expect(try await daemon.stop() == .exited(0))
        // Secret values never reach the log.
        #expect(!daemon.stderrText.contains("p4ss") && !daemon.stderrText.contains("n3w"))
    }
}
