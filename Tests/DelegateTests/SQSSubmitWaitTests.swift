import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// `submit --sqs --wait` on a reply queue others share, against a scripted SQS endpoint.
@Suite struct SQSSubmitWaitTests {
    /// Its own result is taken and every copy of it deleted (a task run twice sends two); another
    /// task's result is made visible again at once for its own waiter.
    @Test func theWaiterDeletesEveryCopyOfItsResultAndPutsBackTheRest() async throws {
        let result = Self.result(id: "t-1")
        let (outcome, recorded) = try await waitWithReplies([
            ("rh-mine", "t-1", result.jsonLine), ("rh-other", "t-2", "{}"), ("rh-copy", "t-1", result.jsonLine),
        ])

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 2, "\(recorded.map(\.action))")
        #expect(deleted.contains { $0.contains("rh-mine") } && deleted.contains { $0.contains("rh-copy") })
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        #expect(putBack.count == 1 && putBack.first?.contains("rh-other") == true, "\(putBack)")
    }

    /// A message that carries the task's id but no result of it (anyone who may send to the reply
    /// queue can send one) is neither taken nor deleted, and the wait goes on to the real result.
    @Test func aMessageNamingTheTaskButHoldingNoResultOfItIsLeftAlone() async throws {
        let (result, other) = (Self.result(id: "t-1"), Self.result(id: "t-9"))
        let (outcome, recorded) = try await waitWithReplies([
            ("rh-junk", "t-1", "not a result"), ("rh-wrong", "t-1", other.jsonLine), ("rh-mine", "t-1", result.jsonLine),
        ])

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 1 && deleted.first?.contains("rh-mine") == true, "\(deleted)")
    }

    /// With only such messages, the wait ends at its timeout and says what it saw.
    @Test func aWaitThatSawOnlyStrangersSaysSo() async throws {
        let (outcome, recorded) = try await waitWithReplies([("rh-junk", "t-1", "not a result")], timeout: .seconds(1))

        #expect(outcome.status == 69, "\(outcome)")
        #expect(outcome.errorOutput.contains("held no result of it"), "\(outcome)")
        #expect(!recorded.contains { $0.action == "DeleteMessage" }, "\(recorded.map(\.action))")
    }

    private static func result(id: String) -> TaskResult {
        TaskResult(
            id: id, status: .succeeded, operation: "getRandomPassword", connectorId: "c", delegate: "d",
            receivedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 1), attempts: 1,
            result: ["randomPassword": "pw"])
    }

    /// Submits task t-1 with --wait to a scripted SQS endpoint whose every receive answers
    /// `replies` (receipt handle, taskId attribute, body); the outcome and the calls made.
    private func waitWithReplies(
        _ replies: [(handle: String, taskID: String, body: String)], timeout: Duration = .seconds(20)
    ) async throws -> (CommandOutcome, [(action: String, body: String)]) {
        let calls = Mutex<[(action: String, body: String)]>([])
        let server = try LoopbackHTTPServer { request in
            let action = (request.headers["X-Amz-Target"] ?? "").replacingOccurrences(of: "AmazonSQS.", with: "")
            calls.withLock { $0.append((action, request.bodyText)) }
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            switch action {
            case "SendMessage":
                return ScriptedResponse(status: 200, headers: json, body: #"{"MessageId":"task-message"}"#)
            case "ReceiveMessage":
                let messages: [[String: Any]] = replies.map { reply in
                    [
                        "MessageId": "m-\(reply.handle)", "ReceiptHandle": reply.handle, "Body": reply.body,
                        "MessageAttributes": ["taskId": ["DataType": "String", "StringValue": reply.taskID]],
                    ]
                }
                let body = try! JSONSerialization.data(withJSONObject: ["Messages": messages])
                return ScriptedResponse(status: 200, headers: json, body: body)
            default:
                return ScriptedResponse(status: 200, headers: json, body: "{}")
            }
        }
        defer { server.stop() }
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [identity]
                sources = ["environment"]
                [sqs]
                region = "us-east-1"
                endpoint = "\(server.baseURL)"
                """,
            environment: [:], hostName: "submit-wait")
        let destination = TaskSubmitter.SQSDestination(
            queueURL: "\(server.baseURL)/123456789012/tasks", replyQueueURL: "\(server.baseURL)/123456789012/replies",
            configuration: configuration,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDSUBMIT", "AWS_SECRET_ACCESS_KEY": "submit-secret"])
        let task = Data(#"{"id":"t-1","operation":"getRandomPassword"}"#.utf8)
        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: true, timeout: timeout).submit(task)
        return (outcome, calls.withLock { $0 })
    }
}
