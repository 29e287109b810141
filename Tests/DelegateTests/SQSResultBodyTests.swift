import Foundation
import Testing

@testable import Delegate

/// A result message must fit in an SQS message, or the task would run again after every lease.
@Suite struct SQSResultBodyTests {
    static func result(value: String) -> TaskResult {
        TaskResult(
            id: "big", status: .succeeded, operation: "listSecrets", connectorId: "prod", delegate: "d",
            receivedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 1), attempts: 3,
            result: .object(["secrets": .string(value)]))
    }

    @Test func aResultThatFitsIsSentAsIs() {
        let result = Self.result(value: "small")
        let (body, oversize) = SQSQueuePoller.messageBody(for: result)
        #expect(body == result.jsonLine)
        #expect(oversize == nil)
    }

    @Test func aResultOverAnSQSMessageBecomesAResultTooLargeFailureThatFits() throws {
        let filler = String(repeating: "s3cr3t-", count: 40_000)
        let (body, oversize) = SQSQueuePoller.messageBody(for: Self.result(value: filler))
        #expect((oversize ?? 0) > 256 * 1024)
        #expect(body.utf8.count <= 256 * 1024)
        #expect(!body.contains("s3cr3t"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "big")
        #expect(object["status"] as? String == "failed")
        #expect(object["attempts"] as? Int == 3)
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["code"] as? String == "ResultTooLarge")
        #expect(error["retryable"] as? Bool == false)
        #expect(object["result"] == nil)
    }
}
