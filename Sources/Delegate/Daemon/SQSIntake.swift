import AWSCore
import FoundationEssentials
import Logging
import SQS
import Synchronization
import TaskQueue

/// Takes tasks from the `[sqs] queue_urls` (docs/INTERFACE.md section 12): one long-poll loop per
/// queue (``SQSQueuePoller``), started and stopped as reloads change the list.
///
/// A queue's failures never touch the spool, the socket or the other queues. On a graceful stop
/// the loops stop receiving, tasks in hand finish (their results are sent and their messages
/// deleted), and messages not yet started are made visible again at once.
struct SQSIntake: Sendable {
    let dispatcher: TaskDispatcher
    /// `[sqs]` as now in force (read at every receive, so a reload applies from the next one).
    let settings: @Sendable () -> DelegateConfiguration.SQSSection
    let clients: AWSClientPool
    /// The delegate's own identity as now in force.
    let identity: @Sendable () -> any CredentialProvider
    let status: SQSQueueStatus
    /// Messages in hand (received and not yet deleted or released), for a graceful stop.
    let inHand = InFlightCount()
    /// Messages whose result was sent, so that one coming back is deleted, not run again.
    let answered = AnsweredMessages()
    let running = RunningMessages()
    /// Messages for other delegates whose release SQS refused, waiting to try again without the
    /// slot they came in (at most `concurrency`: ``SQSQueuePoller/handBack(_:slot:logger:)``).
    let slotlessHandBacks = InFlightCount()
    /// Poll loops running; a loop ends after its last receive and its messages are settled.
    let loops = InFlightCount()
    /// Results sent and messages deleted together, per queue (``send(_:to:logger:)``).
    let batchers = SQSBatchers()
    let sleeper: any Sleeper
    /// A random number in `0..<1`, for backoff and release jitter.
    let random: @Sendable () -> Double
    let logLimiter: LogRateLimiter
    let logger: Logger
    /// The monotonic clock the lease heartbeat times leases by (a test's moves with its sleeper).
    var monotonicNow: @Sendable () -> ContinuousClock.Instant = { .now }

    /// How often the loop looks for queues a reload added.
    static let supervisionInterval: Duration = .seconds(1)

    func run() async {
        let running = RunningQueues()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled, !dispatcher.isStopping {
                let wanted = Set(settings().queueURLs)
                status.retain(wanted.union(running.urls))
                // A queue removed and added again gets a loop at once, beside the old one still
                // finishing the tasks it received.
                for url in wanted.sorted() {
                    guard let loop = running.startReceiving(url) else { continue }
                    loops.enter()
                    group.addTask {
                        await poller(for: url)?.run { running.stopReceiving(url, loop: loop) }
                        running.ended(url, loop: loop)
                        loops.leave()
                    }
                }
                try? await sleeper.sleep(for: Self.supervisionInterval)
            }
        }
    }

    /// After `dispatcher.stopIntake()`: returns when every loop has ended (its last receive
    /// answered, the messages it brought made visible again) and no message is in hand, or after
    /// `timeout`; true when all is settled.
    func waitUntilSettled(timeout: Duration) async -> Bool {
        let start = ContinuousClock.now
        guard await loops.waitUntilIdle(timeout: timeout) else { return false }
        return await inHand.waitUntilIdle(timeout: max(.zero, timeout - (ContinuousClock.now - start)))
    }

    /// What a stop keeps of its budget for ``release(_:within:)``.
    static let releaseTime: Duration = .seconds(2)

    /// The messages whose tasks run here and whose results were not sent, with their newest
    /// receipt handles. (One whose result went out is being deleted: released, it would run again.)
    func unansweredRunning() -> [(key: AnsweredMessages.Key, receiptHandle: String)] {
        let now = ContinuousClock.now
        return running.all().filter { !answered.contains($0.key, now: now) }
    }

    /// For a stop whose time ran out with tasks still running: makes their messages visible again
    /// at once, so that another delegate takes them now rather than after their lease (this
    /// process ends, and the tasks with it). The caller has ended the handling first, so that no
    /// lease extension lands after the release. At most `timeout`; returns how many were released.
    func release(_ messages: [(key: AnsweredMessages.Key, receiptHandle: String)], within timeout: Duration) async
        -> Int
    {
        guard !messages.isEmpty else { return 0 }
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask {  // the time: nil
                try? await sleeper.sleep(for: timeout)
                return nil
            }
            var asked = 0
            for message in messages {
                guard let queue = try? SQSQueueURL(message.key.queueURL) else { continue }
                asked += 1
                group.addTask {
                    await release(receiptHandle: message.receiptHandle, on: queue, afterSeconds: 0, logger: logger)
                }
            }
            var (released, answered) = (0, 0)
            while answered < asked, let outcome = await group.next(), let done = outcome {
                answered += 1
                if done { released += 1 }
            }
            group.cancelAll()
            return released
        }
    }

    /// Makes a message visible again after `seconds` (0: at once) without running it, counted in
    /// `status`; true when SQS took it.
    @discardableResult
    func release(receiptHandle: String, on queue: SQSQueueURL, afterSeconds seconds: Int, logger: Logger) async -> Bool
    {
        do {
            try await client(for: queue).changeMessageVisibility(
                queue: queue, receiptHandle: receiptHandle, seconds: seconds, logger: logger)
            status.update(queue.url) { $0.released += 1 }
            record(nil, of: "ChangeMessageVisibility", queue: queue, logger: logger)
            return true
        } catch {
            // Cut off by the stop's time running out (its timed release, a cancelled handler):
            // no fault of the queue's, no queue-failing.
            if error.code == .cancelled, Task.isCancelled { return false }
            record(error, of: "ChangeMessageVisibility", queue: queue, logger: logger)
            return false
        }
    }

    private func poller(for url: String) -> SQSQueuePoller? {
        guard let queue = try? SQSQueueURL(url) else { return nil }  // validated with the configuration
        var logger = logger
        logger[metadataKey: "queue_url"] = "\(url)"
        return SQSQueuePoller(queue: queue, intake: self, logger: logger)
    }

    /// A client for calls about `queue` under the settings now in force; `longPoll` for
    /// `ReceiveMessage` (``AWSClientPool/sqs(_:longPoll:)``).
    func client(for queue: SQSQueueURL, longPoll: Bool = false) -> SQSClient {
        Self.client(for: queue, settings: settings(), clients: clients, identity: identity(), longPoll: longPoll)
    }

    static func client(
        for queue: SQSQueueURL, settings sqs: DelegateConfiguration.SQSSection, clients: AWSClientPool,
        identity: any CredentialProvider, longPoll: Bool = false
    ) -> SQSClient {
        SQSClient(
            aws: clients.sqs(
                queue.endpoint(region: sqs.signingRegion(for: queue), endpointOverride: sqs.endpoint),
                longPoll: longPoll),
            credentials: identity)
    }

    /// Records a queue call's outcome: a change of the queue's error state is logged once
    /// (`queue-failing` / `queue-recovered`), with `QUEUE_URL`, and shown in `status`. The lines go
    /// through the rate limiter (per queue and operation): tasks that fail one way interleaved with
    /// tasks that succeed (a producer's bad `replyTo` among good ones) would flip the state at will.
    ///
    /// A call answered also ends the errors of other operations on the queue that were the
    /// endpoint's being out of reach (a blip that failed the releases of one task is not the
    /// queue failing for good once its receives work again); never an answer AWS gave (a policy
    /// without `sqs:ChangeMessageVisibility` stays shown until that call succeeds).
    /// A result's `SendMessage` goes to the result queue (`sentTo`): its failure names that queue,
    /// in the text and as `result_queue_url`, though it is counted under the task queue.
    func record(_ failure: AWSError?, of operation: String, queue: SQSQueueURL, sentTo: String? = nil, logger: Logger) {
        // The code before the queue, AWS's message last: `STATUS=` shows the first 200 bytes.
        let head = failure.map { "\(operation): \($0.code)" + (sentTo.map { " (to \($0))" } ?? "") }
        let text = failure.map { "\(head ?? operation): \($0.message)" }
        // The change is logged under the status lock that made it: outcomes recorded at once (the
        // entries of one batch's answer, each task recording its own) log their changes in the
        // order they made them, so the journal's last line for an operation is what `status`
        // shows. (Only a change logs; a transition's line is rare.)
        status.update(queue.url) { counts in
            let previous = counts.errors[operation]
            counts.errors[operation] = text
            var reachableAgain: [String] = []
            if let failure, failure.meansUnreachable {
                counts.unreachableIn.insert(operation)
            } else {
                counts.unreachableIn.remove(operation)
                // Answered by the queue's endpoint: a success, or an error of the service's own.
                // (Not a result sent: it goes to the result queue, which may be on another endpoint.)
                let answered = failure.map { $0.kind == .service && !$0.whileObtainingCredentials } ?? true
                if answered, Self.callsToTheQueue.contains(operation), !counts.unreachableIn.isEmpty {
                    reachableAgain = counts.unreachableIn.intersection(Self.callsToTheQueue).sorted()
                    for other in reachableAgain {
                        counts.errors[other] = nil
                        counts.unreachableIn.remove(other)
                    }
                }
            }
            let key = "sqs-queue-state \(queue.url) \(operation)"
            if let failure, let text, let head, previous == nil || previous?.hasPrefix(head + ":") == false {
                var metadata: Logger.Metadata = [
                    "event": "queue-failing", "operation": "\(operation)", "error_code": "\(failure.code)",
                    "aws_request_id": "\(failure.requestId ?? "-")", "queue_url": "\(queue.url)",
                ]
                if let sentTo { metadata["result_queue_url"] = "\(sentTo)" }
                logLimiter.log(
                    .error, "SQS queue \(queue) cannot be used: \(text)", metadata: metadata, key: key, logger: logger)
            } else if failure == nil, previous != nil {
                recovered(operation, queue: queue, logger: logger)
            }
            for other in reachableAgain { recovered(other, queue: queue, logger: logger) }
        }
    }

    /// The operations whose calls go to the task queue's own endpoint (`SendMessage`, recorded
    /// under it too, sends a result to the result queue).
    static let callsToTheQueue: Set = ["ReceiveMessage", "ChangeMessageVisibility", "DeleteMessage"]

    private func recovered(_ operation: String, queue: SQSQueueURL, logger: Logger) {
        logLimiter.log(
            .notice, "SQS queue \(queue) works again (\(operation))",
            metadata: ["event": "queue-recovered", "operation": "\(operation)", "queue_url": "\(queue.url)"],
            key: "sqs-queue-state \(queue.url) \(operation)", logger: logger)
    }
}

/// The queues whose loops run: one receiving per queue, and those still finishing the tasks they
/// received after their queue left the list.
private final class RunningQueues: Sendable {
    private struct State {
        /// The loop receiving from each queue, by its number.
        var receiving: [String: UInt64] = [:]
        /// How many loops run for each queue, receiving or finishing.
        var loops: [String: Int] = [:]
        var nextLoop: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The queues with a loop, receiving or finishing.
    var urls: Set<String> { state.withLock { Set($0.loops.keys) } }

    /// The number of a new loop for `url`, which the caller starts; nil while one receives from it.
    func startReceiving(_ url: String) -> UInt64? {
        state.withLock { state in
            guard state.receiving[url] == nil else { return nil }
            state.nextLoop += 1
            state.receiving[url] = state.nextLoop
            state.loops[url, default: 0] += 1
            return state.nextLoop
        }
    }

    /// The loop receives no more (its queue left the list, or the delegate stops): another may
    /// start for the queue while this one finishes its tasks.
    func stopReceiving(_ url: String, loop: UInt64) {
        state.withLock { state in
            if state.receiving[url] == loop { state.receiving.removeValue(forKey: url) }
        }
    }

    func ended(_ url: String, loop: UInt64) {
        stopReceiving(url, loop: loop)
        state.withLock { state in
            let left = (state.loops[url] ?? 1) - 1
            state.loops[url] = left > 0 ? left : nil
        }
    }
}
