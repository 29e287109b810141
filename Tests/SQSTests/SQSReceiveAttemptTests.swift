import AWSCore
import Logging
import SQS
import SigV4
import TestSupport
import Testing

/// A receive from a FIFO queue carries a `ReceiveRequestAttemptId`, the same in each retry of
/// that receive: SQS then answers a retry after a lost answer with that answer's messages, which
/// would otherwise stay hidden (and their groups blocked) for their visibility timeout. A standard
/// queue's receive carries none; each receive has an id of its own.
@Suite struct SQSReceiveAttemptTests {
    func receive(from url: String, _ http: ScriptedHTTPClient) async throws {
        _ = try await scriptedSQSClient(http, maxAttempts: 2, accessKeyID: "AKIDEXAMPLEATTEMPT").receiveMessage(
            queue: try SQSQueueURL(url), options: .init(waitSeconds: 0),
            logger: Logger(label: "attempt", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func aFIFOReceiveRepeatsItsAttemptIDInItsRetryAndTheNextReceiveHasAnother() async throws {
        let http = ScriptedHTTPClient()
        http.script(.any, .transport(.connectionClosed), .json(["Messages": [] as [Any]]), .json(["Messages": [] as [Any]]))
        try await receive(from: "https://sqs.test/123456789012/tasks.fifo", http)
        try await receive(from: "https://sqs.test/123456789012/tasks.fifo", http)
        let ids = http.requests.map { $0.json?["ReceiveRequestAttemptId"] as? String }
        #expect(ids.count == 3)
        let first = try #require(ids.first ?? nil)
        #expect(!first.isEmpty && first.count <= 128)
        #expect(ids[1] == first, "the retry repeats the id")
        #expect(ids[2] != nil && ids[2] != first, "the next receive has another")
    }

    /// A trailing `/` names the same queue (SDKs add one), FIFO as without.
    @Test func aFIFOQueueURLWithATrailingSlashIsFIFO() async throws {
        #expect(try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/results.fifo/").isFIFO)
        #expect(try !SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/results/").isFIFO)
        let http = ScriptedHTTPClient()
        http.script(.any, .json(["Messages": [] as [Any]]))
        try await receive(from: "https://sqs.test/123456789012/tasks.fifo/", http)
        #expect(http.requests.first?.json?["ReceiveRequestAttemptId"] as? String != nil)
    }

    @Test func aStandardQueuesReceiveCarriesNone() async throws {
        let http = ScriptedHTTPClient()
        http.script(.any, .json(["Messages": [] as [Any]]))
        try await receive(from: "https://sqs.test/123456789012/tasks", http)
        #expect(http.requests.count == 1)
        #expect(http.requests.first?.json?.keys.contains("ReceiveRequestAttemptId") == false)
    }
}
