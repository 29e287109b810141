import Foundation
import JSON
import Logging
import SQS
import TestSupport
import Testing

@testable import Delegate

/// A result never goes onto a task queue, and one found there is not answered: a delegate would
/// take it for a task and answer it with a rejection, which would come back as another, without end.
@Suite struct SQSTaskQueueLoopTests {
    /// An intake whose task queue is `endpoint`'s `tasks` and result queue its `results`.
    private static func intake(_ endpoint: SQSScriptedEndpoint) throws -> (SQSIntake, () -> Void) {
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [try endpoint.queue("tasks").url], region: "us-east-1", endpoint: endpoint.server.baseURL,
            waitSeconds: 1, visibilitySeconds: 5, resultQueueURL: try endpoint.queue("results").url)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(section: section, sleeper: RecordingSleeper(), logger: quiet)
        return (intake, { http.shutdown() })
    }

    @Test func aResultFoundOnATaskQueueIsNotAnswered() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, shutdown) = try Self.intake(endpoint)
        defer { shutdown() }
        let recorder = LogRecorder()
        let poller = SQSQueuePoller(queue: try endpoint.queue("tasks"), intake: intake, logger: recorder.logger())
        let result = #"{"id":"t-1","status":"rejected","error":{"code":"InvalidTask","message":"x","retryable":false}}"#
        let message = SQSMessage(
            messageId: "m-result", receiptHandle: "rh-result", body: result,
            messageAttributes: [
                "taskId": SQSMessageAttribute(string: "t-1"),
                "taskMessageId": SQSMessageAttribute(string: "m-task"),
            ])

        await poller.handle(message, lease: 5)

        #expect(endpoint.actions.isEmpty, "nothing sent, deleted or released: \(endpoint.actions)")
        #expect(recorder.allText.contains("a result message (it carries taskMessageId) came from a task queue"), "\(recorder.records)")
    }

    @Test func aReplyToThatIsATaskQueueIsRefusedAndAnsweredOnTheResultQueue() async throws {
        let endpoint = try SQSScriptedEndpoint()
        defer { endpoint.server.stop() }
        let (intake, shutdown) = try Self.intake(endpoint)
        defer { shutdown() }
        let tasks = try endpoint.queue("tasks")
        let poller = SQSQueuePoller(queue: tasks, intake: intake, logger: Logger(label: "test"))
        let task = JSONValue.object([
            "id": "t-loop", "operation": "getSecretValue", "params": ["name": "db"],
            "replyTo": .string(tasks.url.replacingOccurrences(of: "http://", with: "HTTP://")),
            "connector": ["id": "c", "region": "us-east-1", "credentials": ["type": "instanceRole"]],
        ]).jsonText

        await poller.handle(SQSMessage(messageId: "m-loop", receiptHandle: "rh-loop", body: task), lease: 5)

        let sends = endpoint.bodies(of: "SendMessage")
        #expect(sends.count == 1, "\(endpoint.actions)")
        let first = try #require(sends.first)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(sent["QueueUrl"] as? String == (try endpoint.queue("results").url), "\(sent)")
        let body = try #require(sent["MessageBody"] as? String)
        #expect(body.contains("InvalidTask"), "\(body)")
        #expect(body.contains("one of this delegate's task queues"), "\(body)")
        #expect(endpoint.actions.contains("DeleteMessage"), "\(endpoint.actions)")
    }
}
