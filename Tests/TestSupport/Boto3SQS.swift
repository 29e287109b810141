import Foundation
import SigV4

/// boto3 against the moto server's SQS: a fleet operator's own producer and consumer, the second
/// opinion on what the delegate reads from a task message and writes as a result message (a body
/// or attribute that only the project's own SQS client can read would pass every other test).
public enum Boto3SQS {
    /// A message as boto3's `receive_message` hands it over.
    public struct Message: Sendable {
        public let messageID: String
        public let body: String
        /// String message attributes by name (`DataType` `String` only; others are left out).
        public let stringAttributes: [String: String]
        /// System attributes (`MessageGroupId`, `MessageDeduplicationId`, ...).
        public let attributes: [String: String]
    }

    /// Sends `body` with boto3 and returns the message id SQS gave it. To a FIFO queue it goes
    /// with `groupID` and `deduplicationID`.
    public static func send(
        body: String, queueURL: String, groupID: String? = nil, deduplicationID: String? = nil,
        endpoint: String, region: String, credentials: Credentials
    ) async throws -> String {
        var request: [String: Any] = ["action": "send", "queue": queueURL, "body": body]
        request["group"] = groupID
        request["deduplication"] = deduplicationID
        let answer = try await run(request, endpoint: endpoint, region: region, credentials: credentials)
        guard let id = answer["messageId"] as? String else { throw ChildProcessError("boto3 send: no MessageId in \(answer)") }
        return id
    }

    /// Receives with boto3 until `count` messages came or `timeout` passed, asking for every
    /// message attribute and system attribute. The messages stay leased, not deleted.
    public static func receive(
        queueURL: String, count: Int, timeout: Duration = .seconds(60), endpoint: String, region: String,
        credentials: Credentials
    ) async throws -> [Message] {
        let answer = try await run(
            ["action": "receive", "queue": queueURL, "count": count, "timeout": Int(timeout.components.seconds)],
            endpoint: endpoint, region: region, credentials: credentials)
        return (answer["messages"] as? [[String: Any]] ?? []).map { message in
            Message(
                messageID: message["id"] as? String ?? "", body: message["body"] as? String ?? "",
                stringAttributes: message["strings"] as? [String: String] ?? [:],
                attributes: message["attributes"] as? [String: String] ?? [:])
        }
    }

    private static let script = """
        if request["action"] == "send":
            arguments = {"QueueUrl": request["queue"], "MessageBody": request["body"]}
            if request.get("group"):
                arguments["MessageGroupId"] = request["group"]
            if request.get("deduplication"):
                arguments["MessageDeduplicationId"] = request["deduplication"]
            answer = {"messageId": client.send_message(**arguments)["MessageId"]}
        else:
            messages = []
            deadline = time.monotonic() + request["timeout"]
            while len(messages) < request["count"] and time.monotonic() < deadline:
                received = client.receive_message(QueueUrl=request["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                                  VisibilityTimeout=900, MessageAttributeNames=["All"],
                                                  AttributeNames=["All"])
                for message in received.get("Messages", []):
                    strings = {name: value["StringValue"]
                               for name, value in message.get("MessageAttributes", {}).items()
                               if value["DataType"] == "String"}
                    messages.append({"id": message["MessageId"], "body": message["Body"], "strings": strings,
                                     "attributes": message.get("Attributes", {})})
            answer = {"messages": messages}
        """

    private static func run(
        _ request: [String: Any], endpoint: String, region: String, credentials: Credentials
    ) async throws -> [String: Any] {
        let seconds = request["timeout"] as? Int ?? 0
        return try await Boto3Script.run(
            service: "sqs", script, request, endpoint: endpoint, region: region, credentials: credentials,
            timeout: .seconds(seconds + 60))
    }
}
