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
        let result = TaskResult(
            id: "t-1", status: .succeeded, operation: "getRandomPassword", connectorId: "c", delegate: "d",
            receivedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 1), attempts: 1,
            result: ["randomPassword": "pw"])
        let calls = Mutex<[(action: String, body: String)]>([])
        let server = try LoopbackHTTPServer { request in
            let action = (request.headers["X-Amz-Target"] ?? "").replacingOccurrences(of: "AmazonSQS.", with: "")
            calls.withLock { $0.append((action, request.bodyText)) }
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            switch action {
            case "SendMessage":
                return ScriptedResponse(status: 200, headers: json, body: #"{"MessageId":"task-message"}"#)
            case "ReceiveMessage":
                func message(_ handle: String, _ taskID: String, _ body: String) -> [String: Any] {
                    [
                        "MessageId": "m-\(handle)", "ReceiptHandle": handle, "Body": body,
                        "MessageAttributes": ["taskId": ["DataType": "String", "StringValue": taskID]],
                    ]
                }
                let messages = [
                    message("rh-mine", "t-1", result.jsonLine), message("rh-other", "t-2", "{}"),
                    message("rh-copy", "t-1", result.jsonLine),
                ]
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

        let outcome = await TaskSubmitter(destination: .sqs(destination), wait: true, timeout: .seconds(20)).submit(task)

        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output.contains("\"id\":\"t-1\""), "\(outcome)")
        let recorded = calls.withLock { $0 }
        let deleted = recorded.filter { $0.action == "DeleteMessage" }.map(\.body)
        #expect(deleted.count == 2, "\(recorded.map(\.action))")
        #expect(deleted.contains { $0.contains("rh-mine") } && deleted.contains { $0.contains("rh-copy") })
        let putBack = recorded.filter { $0.action == "ChangeMessageVisibility" }.map(\.body)
        #expect(putBack.count == 1 && putBack.first?.contains("rh-other") == true, "\(putBack)")
    }
}
