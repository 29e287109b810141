import AWSCore
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
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(body.utf8))) == nil, "not JSON at all")
        let invalidTask = #"{"id":"t 1","operation":"noSuchOperation","replyTo":"\#(url)"}"#
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(invalidTask.utf8))) == (try SQSQueueURL(url)))
    }

    /// A task over SQS's 256 KiB is rejected, where its producer looks: its replyTo is read up to
    /// the task limit (1 MiB), not beyond.
    @Test func aReplyToIsReadUpToTheTaskLimit() throws {
        func body(padding: Int) -> Data {
            Data(#"{"replyTo":"\#(url)","pad":"\#(String(repeating: "p", count: padding))"}"#.utf8)
        }
        #expect(body(padding: 300 * 1024).count > SQSMessage.classicSizeLimit)
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(body(padding: 300 * 1024))) == (try SQSQueueURL(url)))
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(body(padding: DelegateTask.maximumSize))) == nil)
    }

    @Test(arguments: [
        #"{"replyTo":7}"#, #"{"replyTo":"not a queue"}"#,
        #"{"replyTo":"https://sqs.us-east-1.amazonaws.com/123456789012/a","replyTo":"https://sqs.us-east-1.amazonaws.com/123456789012/b"}"#, #"["replyTo"]"#, #""replyTo""#, "",
    ])
    func anythingElseHasNone(body: String) {
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(body.utf8))) == nil)
    }

    /// A URL with a control, bidirectional or other non-ASCII character is no queue URL: a
    /// producer's `replyTo` is quoted in results and in the journal, which take it as it is.
    @Test(arguments: [
        "https://x\u{1B}]0;owned\u{07}\u{202E}.example/1/q", "https://sqs.us-east-1.amazonaws.com/1/q\u{1B}[2J",
        "https://sqs.us-east-1.amazonaws.com/1/q\u{85}", "https://sqs.us-east-1.amazonaws.com/1/\u{E9}",
        "https://sqs.us-east-1.amazonaws.com/1/q r",
    ])
    func aURLThatIsNotPrintableASCIIIsNone(_ replyTo: String) throws {
        let error = #expect(throws: AWSError.self) { try SQSQueueURL(replyTo) }
        #expect(error?.code == .invalidQueueURL)
        #expect(error?.message.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 } == true)
        let body = try JSONSerialization.data(withJSONObject: ["replyTo": replyTo])
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(body)) == nil)
        let task = try JSONSerialization.data(withJSONObject: [
            "id": "t1", "operation": "getSecretValue", "params": ["name": "db"], "replyTo": replyTo,
            "connector": ["id": "c", "region": "us-east-1", "credentials": ["type": "instanceRole"]],
        ])
        let rejection = #expect(throws: TaskRejection.self) { try DelegateTask.decode(task, defaultID: nil) }
        #expect(rejection?.code == .invalidTask)
        #expect(rejection?.message.contains("replyTo") == true)
    }

    /// A URL whose host and port parsers read differently (a port that is no number, a `?` or
    /// `#` before the path), or with a query or fragment, is no queue URL: its host, judged as
    /// Amazon's, would let the task run while libcurl refuses or misreads the URL its result is
    /// sent to, so the result never goes and the message runs again at every delivery.
    @Test(arguments: [
        "https://sqs.us-east-1.amazonaws.com:bogus/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com:99999/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com:0/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com:/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com:443?x/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com#x/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com/123456789012/results?x=1",
        "https://sqs.us-east-1.amazonaws.com/123456789012/results#x",
        "https://[::1/123456789012/results", "https://[]/123456789012/results", "https://[127.0.0.1]/1/q",
        "http://[fe80::1%eth0]/1/q", "http://[fe80::1%25]/1/q", "http://[fe80::1%25abcdefghijklmnop]/1/q",
        "https://sqs.us-east-1.amazonaws.com!/123456789012/results",
    ])
    func aURLWhoseHostParsersReadOtherwiseIsNone(_ replyTo: String) throws {
        let error = #expect(throws: AWSError.self) { try SQSQueueURL(replyTo) }
        #expect(error?.code == .invalidQueueURL)
        let task = try JSONSerialization.data(withJSONObject: [
            "id": "t1", "operation": "getSecretValue", "params": ["name": "db"], "replyTo": replyTo,
            "connector": ["id": "c", "region": "us-east-1", "credentials": ["type": "instanceRole"]],
        ])
        let rejection = #expect(throws: TaskRejection.self) { try DelegateTask.decode(task, defaultID: nil) }
        #expect(rejection?.code == .invalidTask)
        // It says which rule: no query or fragment, or a host and a numeric port.
        let rule = replyTo.contains("?") || replyTo.contains("#") ? "it must have no query or fragment" : "it must have a host name"
        #expect(rejection?.message.hasPrefix("replyTo is not a queue URL: \(rule)") == true, "\(String(describing: rejection?.message))")
    }

    /// Hosts and ports as queue URLs have them are taken.
    @Test(arguments: [
        "https://sqs.us-east-1.amazonaws.com/123456789012/results",
        "https://sqs.us-east-1.amazonaws.com:443/123456789012/results.fifo",
        "http://127.0.0.1:4566/000000000000/results", "http://[::1]:65535/1/q", "https://[FE80::1]/1/q",
        "http://moto_server:5000/1/q", "http://[fe80::1%25eth0]:9324/000000000000/q", "http://[fe80::1%25abcdefghijklmno]/1/q", "https://sqs.us-east-1.amazonaws.com./1/q",
    ])
    func aHostAndANumericPortAreTaken(_ url: String) throws {
        #expect(try SQSQueueURL(url).url == url)
    }

    /// A producer's replyTo is logged with a result that could not be sent to it: over 1024 bytes
    /// it is no queue URL (InvalidTask in a task; none to read from an invalid one).
    @Test func aReplyToOver1024BytesIsNone() throws {
        let long = "https://sqs.us-east-1.amazonaws.com/123456789012/" + String(repeating: "q", count: 1024)
        let error = #expect(throws: AWSError.self) { try SQSQueueURL(long) }
        #expect(error?.code == .invalidQueueURL && error?.message.contains("at most 1024 bytes") == true)
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(#"{"replyTo":"\#(long)"}"#.utf8))) == nil)
        let task = try JSONSerialization.data(withJSONObject: [
            "id": "t1", "operation": "getSecretValue", "params": ["name": "db"], "replyTo": long,
            "connector": ["id": "c", "region": "us-east-1", "credentials": ["type": "instanceRole"]],
        ])
        let rejection = #expect(throws: TaskRejection.self) { try DelegateTask.decode(task, defaultID: nil) }
        #expect(rejection?.code == .invalidTask && rejection?.message.contains("at most 1024 bytes") == true, "\(String(describing: rejection))")
        let fits = "https://sqs.us-east-1.amazonaws.com/123456789012/" + String(repeating: "q", count: 80)
        #expect((try? SQSQueueURL(fits)) != nil)
    }

    @Test func aBodyThatIsNotUTF8HasNone() {
        let bytes = Array(#"{"replyTo":"\#(url)","x":""#.utf8) + [0xFF, 0x22, 0x7D]
        #expect(SQSQueuePoller.readableReplyTo(in: TaskDocument(Data(bytes))) == nil)
    }
}
