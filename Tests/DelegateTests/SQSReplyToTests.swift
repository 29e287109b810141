@testable import Delegate
import Foundation
import SQS
import Testing

/// Where the result of a message that is not a valid task goes: its `replyTo`, read leniently
/// from whatever the body is, when that is a queue URL (docs/INTERFACE.md section 12).
@Suite struct SQSReplyToTests {
    private let url = "https://sqs.us-east-1.amazonaws.com/123456789012/replies"

    @Test func aReadableReplyToIsTakenFromAnInvalidTask() throws {
        let body = #"{"id":"t 1","operation":"noSuchOperation","replyTo":"\#(url)","params":[1,2,}"#
        #expect(SQSQueuePoller.readableReplyTo(in: Data(body.utf8)) == nil, "not JSON at all")
        let invalidTask = #"{"id":"t 1","operation":"noSuchOperation","replyTo":"\#(url)"}"#
        #expect(SQSQueuePoller.readableReplyTo(in: Data(invalidTask.utf8)) == (try SQSQueueURL(url)))
    }

    @Test(arguments: [
        #"{"replyTo":7}"#, #"{"replyTo":"not a queue"}"#,
        #"{"replyTo":"https://sqs.us-east-1.amazonaws.com/123456789012/a","replyTo":"https://sqs.us-east-1.amazonaws.com/123456789012/b"}"#, #"["replyTo"]"#, #""replyTo""#, "",
    ])
    func anythingElseHasNone(body: String) {
        #expect(SQSQueuePoller.readableReplyTo(in: Data(body.utf8)) == nil)
    }

    @Test func aBodyThatIsNotUTF8HasNone() {
        let bytes = Array(#"{"replyTo":"\#(url)","x":""#.utf8) + [0xFF, 0x22, 0x7D]
        #expect(SQSQueuePoller.readableReplyTo(in: Data(bytes)) == nil)
    }
}
