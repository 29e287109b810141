import AWSCore
import Foundation
import Glibc
import Logging
import SecretsManager
import TestSupport
import Testing

/// A delegate killed with SIGKILL while tasks are in flight, then started again.
@Suite struct CrashRecoveryTests {
    @Test func killNineWithTasksInFlightThenRestartEndsEveryTaskWithOneResultAndNoSecondWrite() async throws {
        let fixture = try await EndToEndFixture.make()
        let keys = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let secrets = SecretsManagerClient(
            aws: AWSClient(
                endpoint: fixture.moto.endpoint(service: "secretsmanager"), options: .patient(maxAttempts: 3),
                httpClient: fixture.moto.httpClient),
            credentials: StaticCredentialProvider(keys), namePrefix: fixture.prefix)
        let logger = Logger(label: "CrashRecoveryTests", factory: { _ in SwiftLogNoOpLogHandler() })

        // 150 secrets with one version each; each task puts a second version into one of them.
        let total = 150
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                group.addTask {
                    _ = try await secrets.createSecret(
                        .init(name: "s\(index)", value: .string("initial")), taskID: "setup-\(index)", logger: logger)
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<total {
            try fixture.enqueue(
                fixture.task(
                    id: "put-\(index)", operation: "putSecretValue",
                    params: ["name": "s\(index)", "secretString": "second-\(index)"], selectors: ["crashy"]))
        }

        let config = fixture.configuration(name: "crashy", tags: [], concurrency: 8)
        let first = try fixture.start(configuration: config, name: "crashy-1")
        _ = await eventually { fixture.names(in: "done").count >= 20 }
        #expect(try await first.kill() == .signalled(SIGKILL))
        let claimedAtCrash = fixture.names(in: "cur/crashy")
        let doneAtCrash = fixture.names(in: "done").count
        // The premise: the crash left work behind, both claimed-but-unfinished and unstarted.
        #expect(!claimedAtCrash.isEmpty, "no task was in flight at the kill")
        #expect(doneAtCrash < total)

        let second = try fixture.start(configuration: config, name: "crashy-2")
        let finished = await eventually(within: .seconds(90)) { fixture.names(in: "done").count >= total }
        #expect(finished, "results: \(fixture.names(in: "done").count) of \(total)")
        #expect(try await second.stop() == .exited(0))

        let results = fixture.results()
        #expect(Set(results.keys) == Set((0..<total).map { "put-\($0)" }))
        #expect(results.values.allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(fixture.names(in: "new").isEmpty)
        #expect(fixture.names(in: "cur/crashy").isEmpty)
        #expect(second.stderrText.contains("recover"), "the restart did not say it recovered tasks")
        // No write happened twice: every secret has its initial version and exactly one more.
        for index in 0..<total {
            let versions = try await secrets.listSecretVersionIds(
                name: "s\(index)", includeDeprecated: true, logger: logger)
            #expect(versions.value.versions.count == 2, "s\(index): \(versions.value.versions.count) versions")
            let current = try await secrets.getSecretValue(name: "s\(index)", logger: logger)
            #expect(current.value.secretString == "second-\(index)")
        }
    }
}
