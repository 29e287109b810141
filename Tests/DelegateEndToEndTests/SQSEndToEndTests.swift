import Foundation
import Glibc
import SQS
import TestSupport
import Testing

/// Delegates taking tasks from SQS queues on moto (signature and IAM checks on), as real daemons.
@Suite struct SQSEndToEndTests {
    @Test func aTaskFromAQueueGetsItsResultOnTheReplyQueueAndIsDeleted() async throws {
        let fleet = try await SQSFleet.make()
        let tasks = try await fleet.queue("tasks")
        let replies = try await fleet.queue("replies")
        let daemon = try fleet.start(
            configuration: fleet.configuration(name: "sqs-one", tags: ["blue"], queues: [tasks]), name: "sqs-one")
        #expect(await daemon.waitUntilReady())

        var task = fleet.fixture.task(
            id: "pw-1", operation: "getRandomPassword", params: ["passwordLength": 20], selectors: ["blue"])
        task["replyTo"] = replies.url
        try await fleet.send(task, to: tasks)
        let results = try await fleet.collect(from: replies) { !$0.isEmpty }
        let message = try #require(results.first)
        let result = SQSFleet.object(message)
        #expect(result["id"] as? String == "pw-1")
        #expect(result["status"] as? String == "succeeded", "\(result)")
        #expect(result["delegate"] as? String == "sqs-one")
        #expect(message.messageAttributes["taskId"]?.stringValue == "pw-1")
        // Deleted after the result was sent: nothing visible, nothing leased.
        let settled = try await eventually(every: .milliseconds(200)) { try await fleet.counts(tasks) == (0, 0) }
        #expect(settled)
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func poisonMessagesAreRejectedAndDeletedAndTheIntakeKeepsWorking() async throws {
        let fleet = try await SQSFleet.make()
        let tasks = try await fleet.queue("poison")
        let results = try await fleet.queue("poison-results")
        let daemon = try fleet.start(
            configuration: fleet.configuration(name: "sqs-poison", tags: ["blue"], queues: [tasks], resultQueue: results),
            name: "sqs-poison")
        #expect(await daemon.waitUntilReady())

        try await fleet.sendRaw("not json at all", to: tasks)
        try await fleet.sendRaw(#"["an array"]"#, to: tasks)
        try await fleet.sendRaw(#"{"id":"bad id!","operation":"getRandomPassword"}"#, to: tasks)
        try await fleet.sendRaw(#"{"id":"big","pad":""# + String(repeating: "x", count: 200 * 1024) + #""}"#, to: tasks)
        var shape = fleet.fixture.task(id: "shape-1", operation: "getRandomPassword", selectors: ["blue"])
        shape["params"] = "not an object"
        try await fleet.send(shape, to: tasks)
        let rejected = try await fleet.collect(from: results) { $0.count >= 5 }
        #expect(rejected.count == 5)
        #expect(rejected.allSatisfy { SQSFleet.object($0)["status"] as? String == "rejected" })
        #expect(rejected.contains { SQSFleet.object($0)["id"] as? String == "shape-1" })

        try await fleet.send(
            fleet.fixture.task(id: "after-poison", operation: "getRandomPassword", selectors: ["blue"]), to: tasks)
        let after = try await fleet.collect(from: results) { !$0.isEmpty }
        #expect(after.map { SQSFleet.object($0)["status"] as? String } == ["succeeded"])
        let settled = try await eventually(every: .milliseconds(200)) { try await fleet.counts(tasks) == (0, 0) }
        #expect(settled)
        #expect(try await daemon.stop() == .exited(0))
    }
}

/// `[sqs]` follows SIGHUP, and `status` shows the queues.
@Suite struct SQSReloadAndStatusTests {
    @Test func aReloadAddsAQueueAndStatusCountsPerQueue() async throws {
        let fleet = try await SQSFleet.make()
        let first = try await fleet.queue("reload-a")
        let second = try await fleet.queue("reload-b")
        let results = try await fleet.queue("reload-results")
        let name = "sqs-reload"
        let daemon = try fleet.start(
            configuration: fleet.configuration(
                name: name, tags: ["blue"], queues: [first], resultQueue: results, socket: true),
            name: name)
        #expect(await daemon.waitUntilReady())
        try daemon.writeConfiguration(
            fleet.configuration(
                name: name, tags: ["blue"], queues: [first, second], resultQueue: results, socket: true))
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "event=reloaded", timeout: .seconds(90))

        try await fleet.send(
            fleet.fixture.task(id: "via-b", operation: "getRandomPassword", selectors: ["blue"]), to: second)
        let received = try await fleet.collect(from: results) { !$0.isEmpty }
        #expect(received.map { SQSFleet.object($0)["id"] as? String } == ["via-b"])

        // The result is sent before the message is deleted: the count follows a moment later.
        var queues: [String: [String: Any]] = [:]
        _ = try await eventually(every: .milliseconds(100)) {
            let status = try await ChildProcess.run(
                try DaemonProcess.binaryPath(), ["status", "--socket", fleet.fixture.socketPath(name)])
            #expect(status.termination == .exited(0), "\(status.errorOutput)")
            let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
            queues = try #require(object?["queues"] as? [String: [String: Any]])
            return queues[second.url]?["deleted"] as? Int == 1
        }
        #expect(Set(queues.keys) == [first.url, second.url])
        #expect(queues[second.url]?["received"] as? Int == 1)
        #expect(queues[second.url]?["deleted"] as? Int == 1)
        #expect(queues[first.url]?["received"] as? Int == 0)
        #expect(queues[second.url]?["error"] is NSNull)
        #expect(try await daemon.stop() == .exited(0))
    }
}
