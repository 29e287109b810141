import AWSCore
import FoundationEssentials
import JSON
import SafeText
import Synchronization

/// Per-queue counters of the SQS intake, for `status` (docs/INTERFACE.md section 12).
public final class SQSQueueStatus: Sendable {
    public struct Counts: Sendable, Equatable {
        /// Messages received (each receipt counts, so a message handed out twice counts twice).
        public var received = 0
        /// Messages made visible again without a result: not selected, not started at a stop, or
        /// cut off by the stop's time (that run counted as failed too).
        public var released = 0
        /// Task messages deleted after their result was sent (or after their rejection was).
        public var deleted = 0
        /// Times a message came back while this delegate still held it: after its result was sent
        /// (its delete had not taken effect: deleted again unless that delete fails too, not
        /// counted in `deleted`), while it runs, or while its release for other delegates is
        /// retried; never run a second time beside the first.
        public var redelivered = 0
        /// Results that could not be sent (their task messages were left for a retry).
        public var resultSendFailures = 0
        public var lastReceive: Date?
        /// The queue's errors now, by the operation that failed (`ReceiveMessage:
        /// AccessDeniedException: ...`); empty while it works.
        public var errors: [String: String] = [:]
        /// The operations in `errors` that failed for want of the endpoint (no answer, or a 5xx):
        /// any call to the queue answered since clears them.
        public var unreachableIn: Set<String> = []
        /// The errors as one line, nil while the queue works: those that stop the queue's work
        /// first (no task received, no result sent), so that `STATUS=`'s first 200 bytes never
        /// show an old lease or delete refusal instead, then by operation.
        public var error: String? {
            guard !errors.isEmpty else { return nil }
            func rank(_ operation: String) -> (Int, String) {
                (Self.stoppingOperations.firstIndex(of: operation) ?? Self.stoppingOperations.count, operation)
            }
            return errors.keys.sorted { rank($0) < rank($1) }.compactMap { errors[$0] }.joined(separator: "; ")
        }

        /// The operations whose failure stops the queue's work, the most urgent first.
        static let stoppingOperations = ["ReceiveMessage", "SendMessage"]
    }

    private let queues = Mutex([String: Counts]())

    public init() {}

    public var snapshot: [String: Counts] { queues.withLock { $0 } }

    func update(_ queueURL: String, _ change: (inout Counts) -> Void) {
        queues.withLock { change(&$0[queueURL, default: Counts()]) }
    }

    /// Forgets queues no longer configured.
    func retain(_ queueURLs: Set<String>) {
        queues.withLock { $0 = $0.filter { queueURLs.contains($0.key) } }
    }

    /// The failing queues for `STATUS=`: the first by URL with its errors (cut at 200 bytes: a
    /// result queue's URL, of a failed result send, fits with its code), and how many more; nil
    /// while every queue works.
    static func failingSummary(_ queues: [String: Counts]) -> String? {
        let failing = queues.compactMap { url, counts in counts.error.map { (url, $0) } }.sorted { $0.0 < $1.0 }
        guard let (url, error) = failing.first else { return nil }
        let more = failing.count > 1 ? " +\(failing.count - 1) more" : ""
        return "SQS queue failing: \(url) (\(ShownText.prefix(error, bytes: 200)))\(more)"
    }

    /// The `queues` object of the status report.
    var report: JSONValue {
        .object(
            JSONObject(snapshot.mapValues { counts -> JSONValue in
                var object: JSONObject = [
                    "received": .integer(Int64(counts.received)), "released": .integer(Int64(counts.released)),
                    "deleted": .integer(Int64(counts.deleted)), "redelivered": .integer(Int64(counts.redelivered)),
                    "resultSendFailures": .integer(Int64(counts.resultSendFailures)),
                    "lastReceive": counts.lastReceive.map { .string(Timestamp.format($0)) } ?? .null,
                ]
                object["error"] = counts.error.map(JSONValue.string) ?? .null
                return .object(object)
            }))
    }
}
