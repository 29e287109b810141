import Foundation
import SQS
import TestSupport
import Testing

/// `secrets-delegate submit --sqs ... --wait` against a delegate polling a queue on moto.
@Suite struct SQSSubmitEndToEndTests {
    @Test func submitWaitsForItsOwnResultAndLeavesOtherMessagesAlone() async throws {
        let fleet = try await SQSFleet.make()
        let tasks = try await fleet.queue("submit")
        let replies = try await fleet.queue("submit-replies")
        let configuration = fleet.configuration(name: "sqs-submit", tags: ["blue"], queues: [tasks])
        let daemon = try fleet.start(configuration: configuration, name: "sqs-submit")
        #expect(await daemon.waitUntilReady())
        // Someone else's result is waiting on the same reply queue.
        try await fleet.admin.sendMessage(
            queue: replies, body: #"{"id":"other"}"#, attributes: ["taskId": "other"], logger: fleet.logger)

        let directory = try TemporaryDirectory(prefix: "sd-submit")
        let configPath = directory.path("delegate.toml")
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configPath))
        let task = try EndToEndFixture.line(
            fleet.fixture.task(id: "cli-1", operation: "getRandomPassword", selectors: ["blue"]))
        let environment = [
            "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": fleet.identity.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": fleet.identity.secretAccessKey,
        ]
        let outcome = try await ChildProcess.run(
            try DaemonProcess.binaryPath(),
            [
                "submit", "--config", configPath, "--sqs", tasks.url, "--reply-queue", replies.url, "--wait",
                "--timeout", "60", "-",
            ],
            environment: environment, input: task, timeout: .seconds(90))
        #expect(outcome.termination == .exited(0), "\(outcome.errorOutput)")
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any])
        #expect(result["id"] as? String == "cli-1")
        #expect(result["status"] as? String == "succeeded")
        #expect(!outcome.errorOutput.contains(fleet.identity.secretAccessKey))

        // The other result is still there, visible; the task's own was taken.
        let left = try await fleet.collect(from: replies, within: .seconds(90)) { !$0.isEmpty }
        #expect(left.map { $0.messageAttributes["taskId"]?.stringValue } == ["other"])
        #expect(try await fleet.counts(tasks) == (0, 0))

        // Without a reply queue anywhere, --wait is a usage error (64) before anything is sent.
        let noReply = try await ChildProcess.run(
            try DaemonProcess.binaryPath(),
            ["submit", "--config", configPath, "--sqs", tasks.url, "--wait", "-"], environment: environment, input: task)
        #expect(noReply.termination == .exited(64), "\(noReply.errorOutput)")
        #expect(noReply.errorOutput.contains("reply queue"))
        // A task that names its own replyTo, waited for on another queue, would never be found.
        var ownReply = fleet.fixture.task(id: "cli-2", operation: "getRandomPassword", selectors: ["blue"])
        ownReply["replyTo"] = tasks.url
        let mismatch = try await ChildProcess.run(
            try DaemonProcess.binaryPath(),
            ["submit", "--config", configPath, "--sqs", tasks.url, "--reply-queue", replies.url, "--wait", "-"],
            environment: environment, input: try EndToEndFixture.line(ownReply))
        #expect(mismatch.termination == .exited(64), "\(mismatch.errorOutput)")
        #expect(mismatch.errorOutput.contains("is not --reply-queue"))
        #expect(try await daemon.stop() == .exited(0))
    }
}
