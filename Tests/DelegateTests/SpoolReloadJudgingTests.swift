import AWSCore
import Dispatch
import Foundation
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A reload between a spool task's peek or claim and its start judges it again under the
/// connectors and tags in force: access a reload takes away is gone at once, and a connector
/// moved to other delegates is left for them.
@Suite struct SpoolReloadJudgingTests {
    /// A `deleteSecret`'s claim is made durable before it runs (an fsync of the claims directory,
    /// here one that waits): a reload meanwhile that turns inline connectors off refuses it.
    @Test(.timeLimit(.minutes(1))) func aReloadDuringADeletionsClaimSyncJudgesItAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-reload-claim-sync")
        let armed = Atomic<Bool>(false)
        let entered = Atomic<Bool>(false)
        let thaw = DispatchSemaphore(value: 0)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(
            directory: directory.url.path, delegateName: "d", logger: quiet,
            claimsFsync: { path throws(TaskQueueError) in
                if armed.load(ordering: .acquiring) {
                    entered.store(true, ordering: .releasing)
                    thaw.wait()
                }
                try Spool.fsyncDirectory(path)
            })
        try spool.prepare()
        try SpoolProducer(directory: directory.url.path).enqueue(
            id: "t-1", data: Data(SpoolRecoveredDeleteTests.task.utf8))
        let claimed = try #require(try spool.claim("t-1.json"))
        armed.store(true, ordering: .releasing)

        let secretsManager = FakeSecretsManager()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: secretsManager, delegateName: "d", accessKeyID: "AKIDCLAIMSYNC", clock: SystemWallClock())
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        #expect(await dispatcher.reserveSlot())
        let run = Task { await intake.runClaimed(claimed, receivedAt: Date()) }
        let synced = await eventually(within: .seconds(30)) { entered.load(ordering: .acquiring) }
        #expect(synced, "the claim's sync began")
        dispatcher.connectors.update(connectors: [:], allowInline: false, credentialMappings: [])
        thaw.signal()
        await run.value

        #expect(secretsManager.http.requests.isEmpty, "the deletion ran: \(secretsManager.http.requests.count) calls")
        let result = try String(contentsOfFile: directory.path("done/t-1.json"), encoding: .utf8)
        #expect(result.contains("NotAuthorized") && result.contains("inline connectors"), "\(result)")
    }

    /// A task matched at its peek, the tags changed by a reload before it is judged: matched again
    /// under the new tags, it goes back to `new/` for other delegates, unrun.
    @Test func aTaskMatchedBeforeAReloadIsMatchedAgainUnderTheNewTags() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-reload-peek")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(directory: root, delegateName: "d", logger: quiet)
        try spool.prepare()
        try SpoolProducer(directory: root).enqueue(id: "t-prod", data: SpoolClaimedSelectorTests.forProd)
        let http = ScriptedHTTPClient()
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, accessKeyID: "AKIDPEEKRELOAD", tags: ["prod"], endpoint: ScriptedExecutorFixture.endpoint,
            clock: SystemWallClock())
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)

        // The peek, as `consider` makes it: the generation, then the match (under `prod`).
        let generation = dispatcher.connectors.generation
        let peeked = try #require(try spool.read("t-prod.json"))
        guard case .data(let data) = peeked.contents else {
            Issue.record("the peek read no data")
            return
        }
        #expect(dispatcher.matches(["prod"]).isAccepted)
        let claimed = try #require(try spool.claim("t-prod.json"))
        // A reload: the tags, then the connectors (a new generation), as the daemon applies them.
        dispatcher.apply(selection: SelectionPolicy(name: "d", tags: ["eu"], acceptUntagged: true))
        dispatcher.connectors.update(connectors: [:], allowInline: true, credentialMappings: [])

        await intake.runClaimed(
            claimed, peeked: peeked, document: TaskDocument(data), peekedUnder: generation, receivedAt: Date())

        #expect(http.requests.isEmpty, "it ran under the old tags")
        #expect(!FileManager.default.fileExists(atPath: directory.path("cur/d/t-prod.json")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("new/t-prod.json"))) == SpoolClaimedSelectorTests.forProd)
    }
}
