import AWSCore
import FoundationEssentials
import Logging
import SQS
import TaskQueue
import HTTP

/// One queue's long-poll loop: reserves concurrency slots, receives at most that many messages,
/// and hands each to a child task that runs it holding one slot (``SQSQueuePoller/handle(_:lease:leave:slot:)``).
///
/// Nothing is received beyond the free slots, so no message waits locally while its lease runs
/// out. A failing queue (denied, missing, throttled, unreachable) is retried with capped
/// exponential backoff and jitter; the loop never ends on an error, only when the queue leaves
/// the configuration or the delegate stops.
struct SQSQueuePoller: Sendable {
    let queue: SQSQueueURL
    let intake: SQSIntake
    let logger: Logger

    /// SQS takes at most 10 messages per receive.
    static let maxBatch = 10
    static let backoffBase: Duration = .milliseconds(500)
    static let backoffCap: Duration = .seconds(30)
    /// With `wait_seconds = 0`, how long an empty answer is followed by no receive.
    static let shortPollPause: Duration = .seconds(1)
    /// After an answer too large for the response cap, how many receives ask for one message
    /// before ten are asked for again (the large messages are gone by then, or it happens again).
    static let singleMessageReceives = 100

    var dispatcher: TaskDispatcher { intake.dispatcher }

    /// Receives until the queue leaves the configuration or the delegate stops, calls
    /// `receivingEnded`, and returns once the tasks it received are done.
    func run(receivingEnded: @Sendable () -> Void = {}) async {
        await withDiscardingTaskGroup { group in
            defer { receivingEnded() }
            var failures = 0
            // Lowered to 1 after an answer too large for the client's response cap (ten large
            // messages, escaped in JSON): one message always fits. Raised again after a while.
            var batchLimit = Self.maxBatch
            var singleMessageReceivesLeft = 0
            while !Task.isCancelled, !dispatcher.isStopping, intake.settings().queueURLs.contains(queue.url) {
                // Slots first: one (waiting for it), then as many more as are free now.
                guard await dispatcher.reserveSlot() else { break }
                let sqs = intake.settings()
                // A reload may have removed the queue while the loop waited for the slot (as long
                // as the tasks holding every slot run): nothing more is received from it.
                guard sqs.queueURLs.contains(queue.url) else {
                    dispatcher.releaseSlots()
                    break
                }
                var reserved = 1 + dispatcher.reserveFreeSlots(upTo: batchLimit - 1)
                let messages: [SQSMessage]
                do throws(AWSError) {
                    messages = try await intake.client(for: queue, longPoll: true).receiveMessage(
                        queue: queue,
                        options: .init(
                            maxMessages: reserved, waitSeconds: sqs.waitSeconds, visibilitySeconds: sqs.visibilitySeconds),
                        logger: logger)
                    intake.record(nil, of: "ReceiveMessage", queue: queue, logger: logger)
                    failures = 0
                    if batchLimit < Self.maxBatch {
                        singleMessageReceivesLeft -= 1
                        if singleMessageReceivesLeft <= 0 { batchLimit = Self.maxBatch }
                    }
                } catch {
                    dispatcher.releaseSlots(reserved)
                    if error.code == .cancelled || Task.isCancelled { break }
                    if error.transportError?.code == .responseTooLarge, batchLimit > 1 {
                        batchLimit = 1
                        singleMessageReceivesLeft = Self.singleMessageReceives
                        logger.warning(
                            """
                            an SQS answer was larger than the response limit; receiving one message at a time \
                            for the next \(Self.singleMessageReceives) receives
                            """,
                            metadata: ["queue_url": "\(queue.url)"])
                        continue
                    }
                    intake.record(error, of: "ReceiveMessage", queue: queue, logger: logger)
                    failures += 1
                    await pause(for: backoff(afterFailures: failures))
                    continue
                }
                // A reload removed the queue while the receive waited (up to wait_seconds): its
                // messages are left, visible at once, for the delegates that still receive from
                // it, as a stop leaves them (one answered or running here already is dealt with
                // as ever), and nothing more is received.
                let queueRemoved = !intake.settings().queueURLs.contains(queue.url)
                // More than asked for (no SQS does that): not kept without a slot.
                let extras = messages.dropFirst(reserved)
                let kept = messages.count - extras.count
                if !messages.isEmpty {
                    let now = dispatcher.now
                    intake.status.update(queue.url) { counts in
                        counts.received += kept
                        counts.lastReceive = now
                    }
                } else {
                    intake.status.update(queue.url) { $0.lastReceive = dispatcher.now }
                    // Quiet: the answered messages whose time is up are forgotten now.
                    intake.answered.forgetDue(now: .now)
                }
                if messages.isEmpty, sqs.waitSeconds == 0 {
                    // Short polling: an empty queue is asked again after a pause, not at once.
                    dispatcher.releaseSlots(reserved)
                    reserved = 0
                    await pause(for: Self.shortPollPause)
                }
                for message in messages.prefix(reserved) {
                    reserved -= 1
                    intake.inHand.enter()
                    let lease = sqs.visibilitySeconds
                    group.addTask {
                        let slot = HeldSlot { dispatcher.releaseSlots() }
                        await handle(message, lease: lease, leave: queueRemoved, slot: slot)
                        slot.release()
                        intake.inHand.leave()
                    }
                }
                dispatcher.releaseSlots(reserved)
                if !extras.isEmpty { await releaseExtras(extras, asked: kept) }
                if queueRemoved { break }
            }
        }
    }

    /// Messages an answer held past the `asked` ones: made visible again once those asked for
    /// are handed out and the slots they did not need given back, at most a receive's worth
    /// (``maxBatch``); the rest come back when their lease runs out. An endpoint answering with
    /// thousands would otherwise hold the loop for a call each.
    func releaseExtras(_ extras: ArraySlice<SQSMessage>, asked: Int) async {
        let released = min(extras.count, Self.maxBatch)
        let rest = extras.count > released ? "; the other \(extras.count - released) come back after their lease" : ""
        intake.logLimiter.warning(
            """
            an SQS answer held \(asked + extras.count) messages for the \(asked) asked for, which SQS never does (is the \
            queue URL's host, or [sqs] endpoint, Amazon SQS?): \(released) of the extra ones are made visible again\(rest)
            """,
            metadata: ["queue_url": "\(queue.url)"], key: "sqs-more-than-asked \(queue.url)", logger: logger)
        for extra in extras.prefix(Self.maxBatch) {
            guard !dispatcher.isStopping else { return }
            try? await intake.client(for: queue).changeMessageVisibility(
                queue: queue, receiptHandle: extra.receiptHandle, seconds: 0, logger: logger)
        }
    }

    /// Sleeps `duration` on the intake's sleeper, or until the delegate stops, whichever comes
    /// first: a stop never waits out a backoff of up to 30 s.
    func pause(for duration: Duration) async {
        let (sleeper, dispatcher) = (intake.sleeper, dispatcher)
        await Race.first({ try? await sleeper.sleep(for: duration) }, { await dispatcher.waitUntilStopping() })
    }

    /// `min(cap, base * 2^(failures-1))`, scaled by a random factor in `[0.5, 1)`.
    func backoff(afterFailures failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 16)
        let uncapped = Self.backoffBase * (1 << exponent)
        let capped = min(uncapped, Self.backoffCap)
        return capped * (0.5 + intake.random() / 2)
    }
}
