import Foundation
import Testing
import TestSupport

/// Runs real tasks (against moto, with signature and IAM checks on) whose secret values, keys
/// and tokens are unique canaries, then searches everything the daemon logged for them: every
/// field of every journal entry it wrote, and every line of its stderr and stdout.
///
/// Run twice: logging natively to the journal (as under systemd), and as lines on stderr.
@Suite struct SecretCanaryTests {
    enum Destination: String, CaseIterable, Sendable {
        case journal, stderr
    }

    @Test(arguments: Destination.allCases)
    func noSecretReachesTheLogs(destination: Destination) async throws {
        if destination == .journal {
            try await offPool { try JournalTestHelper.ensureJournald() }
        }
        let moto = try await MotoServer.shared()
        let user = try await moto.createUser(allowing: MotoServer.fullPolicyActions)
        func canary(_ what: String) -> String { "CANARY\(what)\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))" }
        let created = canary("created")
        let putPassword = canary("put")
        let secondCreate = canary("failedcreate")
        let plainKey = canary("plainkey")
        let sessionToken = canary("sessiontoken")
        let badNameValue = canary("badname")
        let identitySecret = canary("identity")
        let prefix = "canary-\(destination.rawValue)-\(UUID().uuidString.prefix(8))"

        let directory = try TemporaryDirectory(prefix: "canary")
        try DaemonTestFixtures.writeCredentials(
            ["key-id": user.accessKeyId, "secret-key": user.secretAccessKey, "session-token": sessionToken], in: directory)
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("canary"), tags: ["canary"], directory: directory, endpoint: moto.endpoint,
                // moto, shared with the suites running alongside, now and then answers a write with
                // a 500 under load: retried, as the delegate does by default.
                maxAttempts: 3),
            environment: DaemonTestFixtures.environment(["AWS_SECRET_ACCESS_KEY": identitySecret]),
            logToJournal: destination == .journal, directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try daemon.start()

        /// Runs one task through the spool and returns its result.
        func run(_ id: String, _ operation: String, _ params: [String: Any], credentials: String? = nil) async throws -> [String: Any] {
            let json =
                if let credentials {
                    try DaemonTestFixtures.task(id: id, operation: operation, params: params, prefix: prefix, credentials: credentials)
                } else {
                    try DaemonTestFixtures.task(id: id, operation: operation, params: params, prefix: prefix)
                }
            try spool.enqueue(id: id, json: json)
            return try await spool.waitForResult(id: id)
        }
        func status(_ result: [String: Any]) -> String? { result["status"] as? String }
        func value(_ result: [String: Any], _ key: String) -> String? { (result["result"] as? [String: Any])?[key] as? String }

        let create = try await run("create", "createSecret", ["name": "db", "secretString": created])
        #expect(status(create) == "succeeded", "\(create)")
        let put = try await run("put", "putSecretValue", ["name": "db", "secretString": #"{"password":"\#(putPassword)"}"#])
        #expect(status(put) == "succeeded", "\(put)")
        let whole = try await run("get", "getSecretValue", ["name": "db"])
        #expect(value(whole, "secretString")?.contains(putPassword) == true, "\(whole)")
        let field = try await run("get-field", "getSecretValue", ["name": "db#password"])
        #expect(value(field, "value") == putPassword, "\(field)")
        let random = try await run("random", "getRandomPassword", ["passwordLength": 40])
        let password = try #require(value(random, "randomPassword"), "\(random)")
        // Failing calls: the secret exists already; a session token moto cannot know; a plain
        // secret key in the task; an invalid name next to a secret value.
        let again = try await run("create-again", "createSecret", ["name": "db", "secretString": secondCreate])
        #expect(status(again) == "failed", "\(again)")
        let withToken = try await run(
            "with-token", "putSecretValue", ["name": "db", "secretString": secondCreate],
            credentials: #"{"type":"accessKey","accessKeyIdRef":"key-id","secretAccessKeyRef":"secret-key","sessionTokenRef":"session-token"}"#)
        // moto refuses the unknown token, so the request carried it (and the failure path, which
        // holds the request's headers, is the one checked for leaks).
        #expect(status(withToken) == "failed", "\(withToken)")
        #expect((withToken["error"] as? [String: Any])?["code"] as? String == "InvalidClientTokenId", "\(withToken)")
        let plain = try await run(
            "plain-key", "getSecretValue", ["name": "db"],
            credentials: #"{"type":"accessKey","accessKeyId":"\#(user.accessKeyId)","secretAccessKey":"\#(plainKey)"}"#)
        #expect(status(plain) == "rejected", "\(plain)")
        let badName = try await run("bad-name", "createSecret", ["name": "no spaces allowed", "secretString": badNameValue])
        #expect(status(badName) == "rejected", "\(badName)")
        // Signed with the delegate's own identity (its secret key a canary moto does not know):
        // a call to Secrets Manager, and an AssumeRole to STS; both refused, so both failure
        // paths, which hold the signed requests, are searched too.
        let asIdentity = try await run("identity", "getSecretValue", ["name": "db"], credentials: #"{"type":"instanceRole"}"#)
        #expect(status(asIdentity) == "failed", "\(asIdentity)")
        #expect((asIdentity["error"] as? [String: Any])?["code"] as? String == "InvalidClientTokenId", "\(asIdentity)")
        let assumed = try await run(
            "identity-assume", "getSecretValue", ["name": "db"],
            credentials: #"{"type":"assumeRole","roleArn":"arn:aws:iam::123456789012:role/canary","externalId":"canary-external"}"#)
        #expect(status(assumed) == "failed", "\(assumed)")

        #expect(try await daemon.stop() == .exited(0))

        var logs = daemon.stderrLines + daemon.stdoutText.split(separator: "\n").map(String.init)
        switch destination {
        case .journal:
            let pid = String(daemon.pid)
            _ = try await JournalTestHelper.readJournal(
                matching: ["_PID": pid, "MESSAGE_ID": "962a3ac0fd8d4bc58b8cc2ef49ea2893"], since: daemon.startTime)
            let entries = try await JournalTestHelper.readJournal(matching: ["_PID": pid], since: daemon.startTime)
            logs += entries.flatMap { entry in entry.fields.flatMap { name, values in values.map { "\(name)=\($0)" } } }
        case .stderr:
            break
        }
        // Not vacuous: every task left its trace in what is searched.
        for id in [
            "create", "put", "get", "get-field", "random", "create-again", "with-token", "plain-key", "bad-name", "identity",
            "identity-assume",
        ] {
            // The exact field: `get` is also in `getSecretValue`, `create` in `create-again`.
            let traced = logs.contains { line in
                line == "TASK_ID=\(id)" || line.contains("task_id=\(id) ") || line.hasSuffix("task_id=\(id)")
            }
            #expect(traced, "nothing logged about task \(id)")
        }
        let secrets = [
            "created secret value": created, "put secret value": putPassword, "failed create's value": secondCreate,
            "random password": password, "plain secret key": plainKey, "session token": sessionToken,
            "invalid task's value": badNameValue, "connector's secret access key": user.secretAccessKey,
            "delegate's own secret key": identitySecret,
        ]
        for (what, secret) in secrets {
            let leaks = logs.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "the \(what) was logged: \(leaks)")
        }
    }
}
