import AWSCore
import Foundation
import Glibc
import Logging
import SQS
import SecretsManager
import TestSupport
import Testing

/// Several delegates sharing SQS queues on moto: routing by tag, leases, stops and crashes.
@Suite struct SQSFleetEndToEndTests {
    @Test func threeDelegatesByTagGiveEachTaskExactlyOneResultFromAMatchingDelegate() async throws {
        let fleet = try await SQSFleet.make(moto: .fleet)
        let tasks = try await fleet.queue("fleet")
        let results = try await fleet.queue("fleet-results")
        // The tasks are on the queue before any delegate starts: moto's DeleteMessage rebuilds the
        // queue's list without a lock, so a send racing the delegates' deletes could be lost.
        let selectorSets = [["blue"], ["green"], ["blue", "green"]]
        let total = 300
        var expected: [String: [String]] = [:]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                let selectors = selectorSets[index % selectorSets.count]
                expected["t-\(index)"] = selectors
                let task = fleet.fixture.task(id: "t-\(index)", operation: "getRandomPassword", selectors: selectors)
                group.addTask { try await fleet.send(task, to: tasks) }
            }
            try await group.waitForAll()
        }
        let delegates = [("sqs-blue", ["blue"]), ("sqs-green", ["green"]), ("sqs-both", ["blue", "green"])]
        var daemons: [DaemonProcess] = []
        for (name, tags) in delegates {
            daemons.append(
                try fleet.start(
                    configuration: fleet.configuration(name: name, tags: tags, queues: [tasks], resultQueue: results),
                    name: name))
        }
        for daemon in daemons { #expect(await daemon.waitUntilReady()) }
        // moto's receive cost grows with the queue's depth: on a loaded 2-core machine the 300
        // tasks can take minutes (about 40 s alone).
        let received = try await fleet.collect(from: results, within: .seconds(600)) { messages in
            Set(messages.compactMap { SQSFleet.object($0)["id"] as? String }).count >= total
        }
        let objects = received.map(SQSFleet.object)
        let ids = objects.compactMap { $0["id"] as? String }
        #expect(Set(ids) == Set(expected.keys), "\(Set(expected.keys).subtracting(ids).count) tasks without a result")
        // Exactly one result per task, but for moto's own double delivery: its ReceiveMessage is not
        // atomic, so two delegates polling at once can both get a message on the same receive
        // (real SQS never does that within the visibility timeout). Both may claim it; or the
        // second is not selected and leaves it (ChangeMessageVisibility with its own receipt
        // handle), which makes the first claimer's handle stale in moto, so its delete fails and a
        // later receive runs it again. That receive need not be the message's first: a delegate
        // whose tags do not match may have received it and left it before. Either way the two
        // runs are on two delegates, never twice on one: a delegate deletes a message it already
        // answered when it comes back (`AnsweredMessages`; these tasks take milliseconds against a
        // 10 s lease; that leases hold for a call slower than the lease is
        // `aCallSlowerThanTheLeaseRunsOnceWhileItsLeaseIsExtended`).
        let duplicated = Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys
        let claimLines = daemons.flatMap { $0.stderrLines.filter { $0.contains("event=task-claimed") } }
        func field(_ name: String, of line: String) -> Substring? {
            line.split(separator: " ").first { $0.hasPrefix(name + "=") }?.dropFirst(name.count + 1)
        }
        for id in duplicated {
            // Not checked: that the claims come in the order of their receive counts. Under load a
            // delegate that received a message first can log its claim after one that received it
            // later, and two claims can share a millisecond.
            let claims = claimLines.filter { field("task_id", of: $0) == Substring(id) }
            let delegates = Set(claims.compactMap { field("delegate_name", of: $0) })
            let receives = claims.compactMap { field("receive_count", of: $0).flatMap { Int($0) } }
            #expect(
                claims.count == 2 && delegates.count == 2 && receives.count == 2,
                "\(id) ran twice, not once on each of two delegates by moto's double delivery: \(claims)")
        }
        #expect(duplicated.count <= 3, "moto delivered \(duplicated.count) messages twice")
        #expect(objects.allSatisfy { $0["status"] as? String == "succeeded" })
        let tagsOf = Dictionary(uniqueKeysWithValues: delegates)
        for object in objects {
            guard let id = object["id"] as? String, let delegate = object["delegate"] as? String,
                let tags = tagsOf[delegate], let selectors = expected[id]
            else {
                Issue.record("a result without id or known delegate: \(object)")
                continue
            }
            #expect(Set(selectors).isSubset(of: Set(tags)), "\(id) with \(selectors) ran on \(delegate)")
        }
        // No second result arrives later, and the task queue is empty.
        let settled = try await eventually(within: .seconds(60), every: .milliseconds(200)) { try await fleet.counts(tasks) == (0, 0) }
        #expect(settled)
        let late = try await fleet.collect(from: results, within: .seconds(3)) { _ in false }
        #expect(late.isEmpty)
        for daemon in daemons { #expect(try await daemon.stop() == .exited(0)) }
        #expect(daemons.allSatisfy { $0.stderrText.contains("event=task-claimed") })
    }

    @Test func aTaskNoDelegateTakesEndsInTheDeadLetterQueueWithoutAResult() async throws {
        let fleet = try await SQSFleet.make()
        let (tasks, dlq) = try await fleet.queueWithDLQ("unroutable", maxReceiveCount: 2)
        let results = try await fleet.queue("unroutable-results")
        let daemon = try fleet.start(
            configuration: fleet.configuration(name: "sqs-lonely", tags: ["blue"], queues: [tasks], resultQueue: results),
            name: "sqs-lonely")
        #expect(await daemon.waitUntilReady())
        try await fleet.send(
            fleet.fixture.task(id: "for-red", operation: "getRandomPassword", selectors: ["red"]), to: tasks)
        let dead = try await fleet.collect(from: dlq, within: .seconds(60)) { !$0.isEmpty }
        #expect(dead.count == 1)
        #expect(SQSFleet.object(try #require(dead.first))["id"] as? String == "for-red")
        #expect(try await fleet.counts(results) == (0, 0))
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func concurrencyOneHoldsOneMessageAndAStopLeavesTheRestToAnotherDelegateAtOnce() async throws {
        let fleet = try await SQSFleet.make()
        let tasks = try await fleet.queue("single")
        let results = try await fleet.queue("single-results")
        // Sent before the delegate starts (a send racing moto's DeleteMessage can be lost).
        let total = 30
        for index in 0..<total {
            try await fleet.send(
                fleet.fixture.task(id: "c-\(index)", operation: "getRandomPassword", selectors: ["blue"]), to: tasks)
        }
        // A lease far longer than the test: a message the first delegate kept would stay hidden.
        let first = try fleet.start(
            configuration: fleet.configuration(
                name: "sqs-single", tags: ["blue"], queues: [tasks], resultQueue: results, concurrency: 1,
                visibilitySeconds: 600),
            name: "sqs-single")
        #expect(await first.waitUntilReady())
        var collected: [SQSMessage] = []
        var maxInFlight = 0
        // Bounded: a delegate that never serves fails the test, not the whole run by hanging it.
        let giveUp = ContinuousClock.now + .seconds(180)
        while collected.count < 5, ContinuousClock.now < giveUp {
            maxInFlight = max(maxInFlight, try await fleet.counts(tasks).inFlight)
            collected += try await fleet.collect(from: results, within: .seconds(1)) { !$0.isEmpty }
        }
        try #require(collected.count >= 5, "\(collected.count) of 5 results within 180 s")
        #expect(maxInFlight <= 1)
        #expect(try await first.stop() == .exited(0))
        // Stopped: nothing of the queue is leased any more, so the rest is visible at once.
        #expect(try await fleet.counts(tasks).inFlight == 0)

        let second = try fleet.start(
            configuration: fleet.configuration(
                name: "sqs-second", tags: ["blue"], queues: [tasks], resultQueue: results, visibilitySeconds: 600),
            name: "sqs-second")
        let before = collected.count
        collected += try await fleet.collect(from: results, within: .seconds(120)) { before + $0.count >= total }
        let ids = collected.compactMap { SQSFleet.object($0)["id"] as? String }
        #expect(Set(ids) == Set((0..<total).map { "c-\($0)" }))
        #expect(ids.count == total)
        #expect(try await second.stop() == .exited(0))
    }

    @Test func killNineWithPutLeasesThenAnotherDelegateFinishesWithOneVersionEachAndOneFIFOResultPerTask() async throws {
        let fleet = try await SQSFleet.make()
        let tasks = try await fleet.queue("puts")
        let results = try await fleet.queue("puts-results.fifo")
        let keys = try await fleet.fixture.moto.createUser(allowing: MotoServer.fullPolicyActions)
        let secrets = SecretsManagerClient(
            aws: AWSClient(
                endpoint: fleet.fixture.moto.endpoint(service: "secretsmanager"), options: .patient(),
                httpClient: fleet.fixture.moto.httpClient),
            credentials: StaticCredentialProvider(keys), namePrefix: fleet.fixture.prefix)
        let total = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                group.addTask {
                    _ = try await secrets.createSecret(
                        .init(name: "s\(index)", value: .string("initial")), taskID: "setup-\(index)",
                        logger: fleet.logger)
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<total {
            try await fleet.send(
                fleet.fixture.task(
                    id: "put-\(index)", operation: "putSecretValue",
                    params: ["name": "s\(index)", "secretString": "second-\(index)"], selectors: ["blue"]),
                to: tasks)
        }
        // The first delegate writes but cannot send its results (its result queue does not
        // exist), so it holds its leases, deletes nothing, and is killed holding them.
        let nowhere = try SQSQueueURL("\(fleet.fixture.moto.endpoint)/\(MotoServer.accountID)/\(fleet.fixture.prefix)-nowhere")
        let first = try fleet.start(
            configuration: fleet.configuration(
                name: "sqs-crashy", tags: ["blue"], queues: [tasks], resultQueue: nowhere, concurrency: 40,
                visibilitySeconds: 3),
            name: "sqs-crashy")
        let wrote = try await eventually(within: .seconds(60), every: .milliseconds(200)) {
            let unsent = first.stderrLines.filter { $0.contains("the task message is left to run again") }.count
            let inFlight = try await fleet.counts(tasks).inFlight
            return unsent >= 10 && inFlight > 0
        }
        #expect(wrote, "the first delegate never held leases after writing")
        #expect(try await first.kill() == .signalled(SIGKILL))
        #expect(try await fleet.counts(results) == (0, 0))

        let second = try fleet.start(
            configuration: fleet.configuration(
                name: "sqs-rescuer", tags: ["blue"], queues: [tasks], resultQueue: results),
            name: "sqs-rescuer")
        let received = try await fleet.collect(from: results, within: .seconds(120)) { $0.count >= total }
        let ids = received.compactMap { SQSFleet.object($0)["id"] as? String }
        #expect(ids.count == total)
        #expect(Set(ids) == Set((0..<total).map { "put-\($0)" }))
        #expect(received.allSatisfy { SQSFleet.object($0)["status"] as? String == "succeeded" })
        let settled = try await eventually(within: .seconds(60), every: .milliseconds(200)) { try await fleet.counts(tasks) == (0, 0) }
        #expect(settled)
        #expect(try await second.stop() == .exited(0))
        for index in 0..<total {
            let versions = try await secrets.listSecretVersionIds(
                name: "s\(index)", includeDeprecated: true, logger: fleet.logger)
            #expect(versions.value.versions.count == 2, "s\(index) has \(versions.value.versions.count) versions")
        }
    }

    /// A delegate `sqs-<name>` tagged blue, with an identity allowed `identityActions`, that has
    /// run three getRandomPassword tasks (`<name>-0...2`) whose results all arrived.
    static func threeBlueTasks(
        name: String, identityActions: [String], visibilitySeconds: Int = 30
    ) async throws -> (fleet: SQSFleet, tasks: SQSQueueURL, daemon: DaemonProcess) {
        let fleet = try await SQSFleet.make(identityActions: identityActions)
        let tasks = try await fleet.queue(name)
        let results = try await fleet.queue("\(name)-results")
        // On the queue before the delegate starts (a send racing moto's DeleteMessage can be lost).
        let ids = (0..<3).map { "\(name)-\($0)" }
        for id in ids {
            try await fleet.send(fleet.fixture.task(id: id, operation: "getRandomPassword", selectors: ["blue"]), to: tasks)
        }
        let daemon = try fleet.start(
            configuration: fleet.configuration(
                name: "sqs-\(name)", tags: ["blue"], queues: [tasks], resultQueue: results,
                visibilitySeconds: visibilitySeconds),
            name: "sqs-\(name)")
        #expect(await daemon.waitUntilReady())
        let received = try await fleet.collect(from: results, within: .seconds(60)) { $0.count >= 3 }
        #expect(Set(received.compactMap { SQSFleet.object($0)["id"] as? String }) == Set(ids))
        return (fleet, tasks, daemon)
    }

    /// An identity (or an SQS-compatible endpoint) that allows the single calls but refuses the
    /// batch ones: each result and delete is then sent on its own, and nothing is reported failing.
    @Test func anIdentityWithoutTheBatchActionsStillSendsResultsAndDeletes() async throws {
        let run = try await Self.threeBlueTasks(
            name: "nobatch", identityActions: SQSFleet.delegateActions.filter { !$0.hasSuffix("Batch") })
        let (fleet, tasks, daemon) = (run.fleet, run.tasks, run.daemon)
        // Deleted one by one: the task queue empties.
        #expect(
            try await eventually {
                let counts = try await fleet.counts(tasks)
                return counts.visible == 0 && counts.inFlight == 0
            })
        #expect(!daemon.stderrText.contains("event=queue-failing"))
        #expect(try await daemon.stop() == .exited(0))
    }

    /// The messages cannot be deleted, so they come back after each lease (5 s): to the delegate
    /// that sent their results, which deletes them again (refused) and neither runs nor answers
    /// them again.
    @Test func anIdentityWithoutDeleteMessageIsReportedAndLosesNoTask() async throws {
        let run = try await Self.threeBlueTasks(
            name: "nodelete", identityActions: SQSFleet.delegateActions.filter { !$0.hasPrefix("sqs:DeleteMessage") },
            visibilitySeconds: 5)
        let (fleet, tasks, daemon) = (run.fleet, run.tasks, run.daemon)
        try await daemon.waitForStderr(containing: "event=queue-failing", timeout: .seconds(90))
        let line = try #require(daemon.stderrLines.first { $0.contains("event=queue-failing") })
        #expect(line.contains("DeleteMessage"))
        #expect(line.contains("AccessDenied"))
        #expect(line.contains(tasks.url))
        #expect(daemon.stderrLines.filter { $0.contains("event=queue-failing") }.count == 1)
        func messageID(_ line: String) -> Substring? {
            line.split(separator: " ").first { $0.hasPrefix("sqs_message_id=") }?.dropFirst("sqs_message_id=".count)
        }
        // Each message back at least once, and none claimed again once it came back.
        let cameBack = await eventually(within: .seconds(60), every: .milliseconds(100)) {
            Set(daemon.stderrLines.filter { $0.contains("event=task-redelivered") }.compactMap(messageID)).count == 3
        }
        #expect(cameBack)
        let lines = daemon.stderrLines
        for (index, back) in lines.enumerated() where back.contains("event=task-redelivered") {
            let id = messageID(back)
            #expect(
                !lines[index...].contains { $0.contains("event=task-claimed") && messageID($0) == id },
                "message \(id ?? "-") was claimed again after it came back")
        }
        let results = try await fleet.queue("nodelete-results")
        #expect(try await fleet.collect(from: results, within: .seconds(2)) { _ in false }.isEmpty)
        // Not lost: the task messages are still on the queue, to come back. (Polled: moto's
        // approximate counts, read while the delegate receives, can miss a message for a moment.)
        let allThere = try await eventually(within: .seconds(60), every: .milliseconds(200)) {
            let counts = try await fleet.counts(tasks)
            return counts.visible + counts.inFlight == 3
        }
        let counts = try await fleet.counts(tasks)
        #expect(allThere, "visible \(counts.visible), in flight \(counts.inFlight)")
        #expect(try await daemon.stop() == .exited(0))
        #expect(!daemon.stderrText.contains(fleet.identity.secretAccessKey))
    }
}

/// A task slower than its lease, with a second delegate polling the same queue.
@Suite struct SQSLeaseEndToEndTests {
    @Test func aCallSlowerThanTheLeaseRunsOnceWhileItsLeaseIsExtended() async throws {
        let fleet = try await SQSFleet.make(moto: .leases)
        let tasks = try await fleet.queue("slow")
        let results = try await fleet.queue("slow-results")
        // Secrets Manager answering after 70 s (within a 90 s request timeout): over twice the 30 s
        // lease. The lease is extended every third of it, so a loaded host (and moto on it) has
        // twenty seconds to spare for each extension (with a 20 s lease, one full-suite run under
        // load let it lapse).
        let slow = try LoopbackHTTPServer { _ in
            var response = DaemonTestFixtures.getSecretValueResponse(name: "slow", value: "slow-value")
            response.delay = .seconds(70)
            return response
        }
        defer { slow.stop() }
        var daemons: [DaemonProcess] = []
        for name in ["sqs-slow-1", "sqs-slow-2"] {
            let configuration = fleet.configuration(
                name: name, tags: ["blue"], queues: [tasks], resultQueue: results, visibilitySeconds: 30,
                secretsManagerEndpoint: slow.baseURL, requestTimeoutSeconds: 90)
            daemons.append(try fleet.start(configuration: configuration, name: name))
        }
        for daemon in daemons { #expect(await daemon.waitUntilReady()) }
        var task = fleet.fixture.task(
            id: "slow-1", operation: "getSecretValue", params: ["name": "slow"], selectors: ["blue"])
        task["deadlineSeconds"] = 120  // past the 70 s answer
        try await fleet.send(task, to: tasks)
        let received = try await fleet.collect(from: results, within: .seconds(150)) { !$0.isEmpty }
        #expect(received.map { SQSFleet.object($0)["status"] as? String } == ["succeeded"])
        // Give a second run (which a lapsed lease would allow) time to show itself.
        let late = try await fleet.collect(from: results, within: .seconds(4)) { _ in false }
        #expect(late.isEmpty)
        // What the delegates said of their leases, should the call have run twice.
        let leaseLines = daemons.flatMap { daemon in
            daemon.stderrText.split(separator: "\n").filter {
                $0.contains("lease") || $0.contains("ChangeMessageVisibility") || $0.contains("slow-1")
            }
        }
        #expect(slow.requestsServed == 1, "\(leaseLines.joined(separator: "\n"))")
        #expect(try await fleet.counts(tasks) == (0, 0))
        for daemon in daemons { #expect(try await daemon.stop() == .exited(0)) }
    }
}
