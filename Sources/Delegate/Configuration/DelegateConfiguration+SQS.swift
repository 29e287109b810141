import AWSCore
import SQS

extension DelegateConfiguration {
    /// `[sqs]`: the queues a fleet of delegates shares (docs/INTERFACE.md section 12), signed with
    /// the delegate's own identity (`[identity]`).
    public struct SQSSection: Sendable, Equatable {
        /// Task queues, one long poll each; empty turns the SQS intake off.
        public var queueURLs: [String]
        /// The signing region; empty means the region in each queue URL's host
        /// (`sqs.<region>.amazonaws.com`).
        public var region: String
        /// Endpoint override (VPC endpoint, emulator); empty means each queue URL's own host.
        public var endpoint: String
        /// Long polling: how long one receive waits for a message, 0-20 s.
        public var waitSeconds: Int
        /// The lease a received task gets, extended while it runs.
        public var visibilitySeconds: Int
        /// Where results go when a task names no `replyTo`; empty: nowhere.
        public var resultQueueURL: String

        public init(
            queueURLs: [String] = [], region: String = "", endpoint: String = "", waitSeconds: Int = 20,
            visibilitySeconds: Int = 60, resultQueueURL: String = ""
        ) {
            self.queueURLs = queueURLs
            self.region = region
            self.endpoint = endpoint
            self.waitSeconds = waitSeconds
            self.visibilitySeconds = visibilitySeconds
            self.resultQueueURL = resultQueueURL
        }

        public static let waitSecondsRange = 0...20
        /// At least 2 s so that the heartbeat at half the lease has time to land; at most SQS's 12 h.
        public static let visibilitySecondsRange = 2...43_200

        /// Whether a task may have its result sent to `queue` (its `replyTo`), which anyone who can
        /// send to a task queue chooses. The call is signed with the delegate's identity, so it
        /// goes only where the delegate's own queues are: to the `endpoint` override when one is
        /// set (every call goes there), else to an `https` AWS host (`*.amazonaws.com`,
        /// `*.amazonaws.com.cn`) or the origin of a configured queue URL or `result_queue_url`.
        public func permitsReplies(to queue: SQSQueueURL) -> Bool {
            if !endpoint.isEmpty { return true }
            let configured = (queueURLs + [resultQueueURL]).compactMap { try? SQSQueueURL($0).origin }
            if configured.contains(queue.origin) { return true }
            let origin = queue.origin.lowercased()
            guard origin.hasPrefix("https://") else { return false }
            var host = Substring(origin.dropFirst("https://".count))
            if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
            return (host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn"))
                && !host.contains("@")
        }

        /// The signing region for `queue`: `region` when set, else the one its host names.
        public func signingRegion(for queue: SQSQueueURL) -> String {
            if !region.isEmpty { return region }
            let host = queue.origin.split(separator: "/").last.map(String.init) ?? ""
            let labels = host.split(separator: ".")
            if labels.count >= 3, labels[0] == "sqs" { return String(labels[1]) }
            return "us-east-1"
        }

        /// `queue_urls`: queue URLs, none twice.
        static func queueURLsProblem(_ urls: [String]) -> String? {
            var seen: Set<String> = []
            for (index, url) in urls.enumerated() {
                if (try? SQSQueueURL(url)) == nil {
                    return "entry \(index + 1) \(quoted(url)) is not a queue URL (https://host/account/name)"
                }
                if !seen.insert(url).inserted { return "lists \(quoted(url)) twice" }
            }
            return nil
        }

        static func regionProblem(_ region: String) -> String? {
            if !region.isEmpty, !region.unicodeScalars.allSatisfy({ DelegateConfiguration.isNameScalar($0) }) {
                return "\(quoted(region)) is not a region name"
            }
            return nil
        }

        static func resultQueueURLProblem(_ url: String) -> String? {
            if !url.isEmpty, (try? SQSQueueURL(url)) == nil {
                return "\(quoted(url)) is not a queue URL (https://host/account/name)"
            }
            return nil
        }

        private static func quoted(_ text: String) -> String { DelegateConfiguration.quoted(text) }
    }
}
