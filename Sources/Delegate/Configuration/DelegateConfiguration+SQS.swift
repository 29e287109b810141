import AWSCore
import SQS

extension DelegateConfiguration {
    /// `[sqs]`: the queues a fleet of delegates shares (docs/INTERFACE.md section 12), signed with
    /// the delegate's own identity (`[identity]`).
    public struct SQSSection: Sendable, Equatable {
        /// Task queues, one long poll each; empty turns the SQS intake off.
        public var queueURLs: [String] { didSet { known = KnownQueues(self) } }
        /// The signing region for hosts that name none (an emulator, a proxy); a host of Amazon
        /// SQS's own (`sqs.<region>.amazonaws.com`, a VPC endpoint) is signed for the region it
        /// names. Empty: the queue URL's region, else `us-east-1`.
        public var region: String
        /// Endpoint override (VPC endpoint, emulator); empty means each queue URL's own host.
        public var endpoint: String { didSet { known = KnownQueues(self) } }
        /// Long polling: how long one receive waits for a message, 0-20 s.
        public var waitSeconds: Int
        /// The lease a received task gets, extended while it runs.
        public var visibilitySeconds: Int
        /// Where results go when a task names no `replyTo`; empty: nowhere.
        public var resultQueueURL: String { didSet { known = KnownQueues(self) } }
        /// The largest message the queues carry (their `MaximumMessageSize`), body and attributes:
        /// a larger task is refused, a larger result becomes `ResultTooLarge`, and a batch of
        /// results holds no more. 256 KiB, which every queue carries; up to SQS's 1 MiB.
        public var maxMessageBytes: Int
        /// The configured queues parsed, once for each change: every SQS task with a `replyTo`
        /// asks ``permitsReplies(to:)`` and ``isTaskQueue(_:)``, which would otherwise parse
        /// every URL each time.
        private var known = KnownQueues()

        private struct KnownQueues: Sendable, Equatable {
            /// The origins of `queue_urls` and `result_queue_url`.
            var origins: Set<String> = []
            /// The `queue_urls` by ``SQSQueueURL/identity(throughOneEndpoint:)``.
            var taskQueues: Set<String> = []

            init() {}

            init(_ sqs: SQSSection) {
                origins = Set((sqs.queueURLs + [sqs.resultQueueURL]).compactMap { try? SQSQueueURL($0).origin })
                taskQueues = Set(
                    sqs.queueURLs.compactMap {
                        try? SQSQueueURL($0).identity(throughOneEndpoint: !sqs.endpoint.isEmpty)
                    })
            }
        }

        public init(
            queueURLs: [String] = [], region: String = "", endpoint: String = "", waitSeconds: Int = 20,
            visibilitySeconds: Int = 60, resultQueueURL: String = "",
            maxMessageBytes: Int = SQSMessage.classicSizeLimit
        ) {
            self.queueURLs = queueURLs
            self.region = region
            self.endpoint = endpoint
            self.waitSeconds = waitSeconds
            self.visibilitySeconds = visibilitySeconds
            self.resultQueueURL = resultQueueURL
            self.maxMessageBytes = maxMessageBytes
            self.known = KnownQueues(self)
        }

        public static let waitSecondsRange = 0...20
        /// At least 4 KiB, though a queue may carry 1: the `ResultTooLarge` failure that replaces a
        /// larger result (ids of up to 128 characters in it) must fit, or it too would be refused
        /// at every lease; at most SQS's 1 MiB.
        public static let maxMessageBytesRange = 4_096...SQSMessage.largestSizeLimit
        /// At least 2 s so that the heartbeat at a third of the lease has time to land; at most SQS's 12 h.
        public static let visibilitySecondsRange = 2...43_200

        /// Whether a task may have its result sent to `queue` (its `replyTo`), which anyone who can
        /// send to a task queue chooses. The call is signed with the delegate's identity, so it
        /// goes only where the delegate's own queues are: an `https` host of Amazon SQS's own
        /// (``SQSQueueURL/amazonSQSRegion``; not any `*.amazonaws.com` host: API Gateway's take
        /// requests from anyone's account), or the origin of a configured queue URL or
        /// `result_queue_url`. With the `endpoint` override every call goes there: any queue,
        /// unless both name regions and they differ (the endpoint serves its own region only).
        public func permitsReplies(to queue: SQSQueueURL) -> Bool {
            if !endpoint.isEmpty { return reaches(queue) }
            if known.origins.contains(queue.origin) { return true }
            return queue.origin.lowercased().hasPrefix("https://") && queue.amazonSQSRegion != nil
        }

        /// Whether `queue` is one of `queue_urls`: never a place for results, which would come
        /// back as tasks (and their rejections as more of them, without end).
        public func isTaskQueue(_ queue: SQSQueueURL) -> Bool {
            known.taskQueues.contains(queue.identity(throughOneEndpoint: !endpoint.isEmpty))
        }

        /// The positions of two `queue_urls` entries that name one queue (``isTaskQueue``'s sense),
        /// if any.
        var queueListedTwice: (Int, Int)? {
            var seen: [String: Int] = [:]
            for (index, url) in queueURLs.enumerated() {
                guard let identity = (try? SQSQueueURL(url))?.identity(throughOneEndpoint: !endpoint.isEmpty) else {
                    continue
                }
                if let first = seen[identity] { return (first, index) }
                seen[identity] = index
            }
            return nil
        }

        /// A configured queue of Amazon SQS in another region than the `endpoint` override's host
        /// names, which serves its own region's queues only (every call about the queue would
        /// fail): its key's label, its URL and region.
        var queueOutsideEndpointRegion: (label: String, url: String, region: String)? {
            let configured = queueURLs.map { ("[sqs] queue_urls", $0) } + [("[sqs] result_queue_url", resultQueueURL)]
            for (label, url) in configured {
                if let queue = try? SQSQueueURL(url), !reaches(queue), let region = queue.amazonSQSRegion {
                    return (label, url, region)
                }
            }
            return nil
        }

        /// Whether calls about `queue` can reach it: always without the `endpoint` override, or
        /// through one that names no region (an emulator); through an Amazon SQS host of one
        /// region, only a queue of that region (or one whose host names none).
        public func reaches(_ queue: SQSQueueURL) -> Bool {
            guard !endpoint.isEmpty, let endpointRegion, let queueRegion = queue.amazonSQSRegion else { return true }
            return endpointRegion == queueRegion
        }

        /// The signing region for calls about `queue`: the region the host they go to names (the
        /// `endpoint` override, else the queue's), else `region`, else the queue URL's (an Amazon
        /// SQS host's, or the `sqs.<region>.…` of another partition's host), else `us-east-1`.
        public func signingRegion(for queue: SQSQueueURL) -> String {
            let named = endpoint.isEmpty ? queue.amazonSQSRegion : endpointRegion
            return named ?? (region.isEmpty ? nil : region) ?? queue.amazonSQSRegion
                ?? queue.host.flatMap(SQSQueueURL.guessedRegion(host:)) ?? "us-east-1"
        }

        /// The region the `endpoint` override's host names, if it is one of Amazon SQS's (written
        /// with a fully qualified name's trailing dot or not: the operator's own setting, not a
        /// host a producer chose).
        private var endpointRegion: String? {
            guard var host = URLParts(endpoint).host else { return nil }
            if host.count > 1, host.hasSuffix(".") { host.removeLast() }
            return SQSQueueURL.amazonSQSRegion(host: host)
        }

        /// `queue_urls`: queue URLs, none twice.
        static func queueURLsProblem(_ urls: [String]) -> String? {
            var seen: Set<String> = []
            for (index, url) in urls.enumerated() {
                if URLParts.mayHoldUserInfo(url) {
                    return "entry \(index + 1) must not contain a user name or password"
                }
                if let reason = notAQueueURL(url) { return "entry \(index + 1) \(quoted(url)) \(reason)" }
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
            if URLParts.mayHoldUserInfo(url) { return "must not contain a user name or password" }
            if !url.isEmpty, let reason = notAQueueURL(url) { return "\(quoted(url)) \(reason)" }
            return nil
        }

        /// Why `url` is not a queue URL, said after its quote, or nil: its shape, or the rule it
        /// breaks (its length, a space or a character outside printable ASCII).
        static func notAQueueURL(_ url: String) -> String? {
            do throws(AWSError) {
                _ = try SQSQueueURL(url)
                return nil
            } catch {
                let rule = "a queue URL must "
                guard error.message.hasPrefix(rule) else { return "is not a queue URL \(SQSQueueURL.shape)" }
                return "is not a queue URL: it must " + error.message.dropFirst(rule.count)
            }
        }

        private static func quoted(_ text: String) -> String { DelegateConfiguration.quoted(text) }
    }
}
