import Foundation
import SQS
import TestSupport
import Testing

/// A fleet operator's boto3 on both ends of a delegate's SQS queues: the task sent by boto3, the
/// result read by boto3. Every other SQS test sends and reads with the project's own client.
@Suite struct SQSBoto3EndToEndTests {
    /// A value with quotes, a backslash, line breaks and characters beyond ASCII, so the result's
    /// JSON escapes and the message's UTF-8 are both exercised.
    static let value = "pa\"ss\\word\nline two\ttab: caf\u{E9} \u{1F511} \u{4E2D}"

    @Test func aTaskBoto3SendsGetsAResultBoto3Reads() async throws {
        let fleet = try await SQSFleet.make()
        let moto = fleet.fixture.moto
        let tasks = try await fleet.queue("boto3-tasks")
        let replies = try await fleet.queue("boto3-replies")
        try await Boto3SecretsManager.create(
            name: "\(fleet.fixture.prefix)/boto3", string: Self.value, endpoint: moto.endpoint,
            region: MotoServer.region, credentials: moto.admin)
        let daemon = try fleet.start(
            configuration: fleet.configuration(name: "sqs-boto3", tags: ["blue"], queues: [tasks]), name: "sqs-boto3")
        #expect(await daemon.waitUntilReady())

        var task = fleet.fixture.task(
            id: "boto3-read", operation: "getSecretValue", params: ["name": "boto3"], selectors: ["blue"])
        task["replyTo"] = replies.url
        let sent = try await Boto3SQS.send(
            body: String(decoding: try EndToEndFixture.line(task), as: UTF8.self), queueURL: tasks.url,
            endpoint: moto.endpoint, region: MotoServer.region, credentials: moto.admin)
        let messages = try await Boto3SQS.receive(
            queueURL: replies.url, count: 1, endpoint: moto.endpoint, region: MotoServer.region,
            credentials: moto.admin)
        let message = try #require(messages.first)
        #expect(messages.count == 1)
        #expect(message.stringAttributes == ["taskId": "boto3-read", "taskMessageId": sent])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any])
        #expect(result["id"] as? String == "boto3-read")
        #expect(result["status"] as? String == "succeeded", "\(result)")
        let secret = try #require(result["result"] as? [String: Any])
        #expect(secret["secretString"] as? String == Self.value)
        #expect(secret["name"] as? String == "boto3")
        #expect((secret["arn"] as? String)?.contains(":secret:\(fleet.fixture.prefix)/boto3-") == true)
        let settled = try await eventually(every: .milliseconds(200)) { try await fleet.counts(tasks) == (0, 0) }
        #expect(settled)
        #expect(try await daemon.stop() == .exited(0))
    }

    /// FIFO: the result goes to the task's group, deduplicated by the task message's id, as
    /// boto3 sees the message's system attributes.
    @Test func aFIFOResultCarriesTheTaskIdAsGroupAndTheTaskMessageIdAsDeduplication() async throws {
        let fleet = try await SQSFleet.make()
        let moto = fleet.fixture.moto
        let tasks = try await fleet.queue("boto3-tasks.fifo")
        let replies = try await fleet.queue("boto3-replies.fifo")
        let daemon = try fleet.start(
            configuration: fleet.configuration(name: "sqs-boto3-fifo", tags: ["blue"], queues: [tasks]),
            name: "sqs-boto3-fifo")
        #expect(await daemon.waitUntilReady())

        var task = fleet.fixture.task(
            id: "boto3-fifo", operation: "getRandomPassword", params: ["passwordLength": 24], selectors: ["blue"])
        task["replyTo"] = replies.url
        let sent = try await Boto3SQS.send(
            body: String(decoding: try EndToEndFixture.line(task), as: UTF8.self), queueURL: tasks.url,
            groupID: "operators", deduplicationID: "boto3-fifo-1", endpoint: moto.endpoint,
            region: MotoServer.region, credentials: moto.admin)
        let messages = try await Boto3SQS.receive(
            queueURL: replies.url, count: 1, endpoint: moto.endpoint, region: MotoServer.region,
            credentials: moto.admin)
        let message = try #require(messages.first)
        #expect(message.attributes["MessageGroupId"] == "boto3-fifo")
        #expect(message.attributes["MessageDeduplicationId"] == sent)
        #expect(message.stringAttributes["taskMessageId"] == sent)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any])
        #expect(result["status"] as? String == "succeeded", "\(result)")
        let password = (result["result"] as? [String: Any])?["randomPassword"] as? String
        #expect(password?.count == 24)
        #expect(try await daemon.stop() == .exited(0))
    }
}
