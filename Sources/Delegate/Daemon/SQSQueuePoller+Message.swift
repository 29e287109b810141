import AWSCore
import FoundationEssentials
import JSON
import Logging
import SafeText
import SQS
import Systemd
import TaskQueue

extension SQSQueuePoller {
    /// Handles one received message, holding one concurrency slot: a message whose result this
    /// delegate already sent (``AnsweredMessages``) is deleted without running again, a task not
    /// for this delegate is released (after a random pause under a second, visible again 1-3 s
    /// later), an invalid one gets a `rejected` result and is deleted, a valid one runs and is
    /// deleted once its result was sent. From the selection on until the message is deleted (or
    /// left), its lease is extended every third of `visibility_seconds`.
    ///
    /// - Parameters:
    ///   - lease: the visibility timeout the receive asked for.
    ///   - leave: the queue is no longer this delegate's (a reload removed it while the receive
    ///     waited): a message not answered or running here already is released at once, for the
    ///     delegates that still receive from it, as at a stop.
    ///   - slot: the concurrency slot the message holds, given back here before the retries of a
    ///     release of a message for other delegates (``handBack(_:slot:logger:)``), else by the
    ///     caller once this returns.
    func handle(_ message: SQSMessage, lease: Int, leave: Bool = false, slot: HeldSlot? = nil) async {
        var logger = logger
        // Bounded: SQS's ids are UUIDs, and an endpoint could send any text up to its answer's size.
        logger[metadataKey: "sqs_message_id"] =
            "\(ShownText.prefix(message.messageId, bytes: Self.loggedMessageIDLength))"
        let receivedAt = dispatcher.now
        let answeredKey = key(of: message)
        switch intake.admit(
            answeredKey, receiptHandle: message.receiptHandle, now: .now,
            answeredKeptFor: answeredKeptFor(longestLease: lease))
        {
        case .answered:
            logger.info(
                """
                an SQS task message whose result was already sent came back (its delete had not taken effect); \
                deleting it again, not running it again
                """,
                metadata: [
                    "event": "\(LogEventKind.taskRedelivered)", "receive_count": "\(Self.receiveCount(of: message))",
                ])
            intake.status.update(queue.url) { $0.redelivered += 1 }
            // With this receipt's handle: it is the newest, where one kept for the run (whose
            // delete is still on its way) is out of date, and SQS would accept it and keep the
            // message.
            await delete(message, counted: false, newestHandle: message.receiptHandle, logger: logger)
            return
        case .runningHere:
            logger.warning(
                "an SQS task message came back while it runs here (its lease lapsed); not run twice: the run under way goes on with its new receipt handle",
                metadata: [
                    "event": "\(LogEventKind.taskRedelivered)", "receive_count": "\(Self.receiveCount(of: message))",
                ])
            intake.status.update(queue.url) { $0.redelivered += 1 }
            return
        case .fresh:
            break
        }
        // Received again meanwhile: its lease is extended, and it is deleted or released, with the
        // newest receipt handle. (One received after its delete comes back and is deleted then.)
        await handleOnce(message, lease: lease, leave: leave, slot: slot, receivedAt: receivedAt, logger: logger)
        intake.running.end(answeredKey)
    }

    /// The attribute every result carries (the SQS id of its task's message): a message with it
    /// is a result, never a task.
    static let taskMessageIDAttribute = "taskMessageId"

    /// At most this many bytes of a message's id are logged (a FIFO deduplication id's limit).
    static let loggedMessageIDLength = 128

    /// ``handle(_:lease:leave:slot:)`` for a message not being handled already.
    private func handleOnce(
        _ message: SQSMessage, lease: Int, leave: Bool, slot: HeldSlot?, receivedAt: Date, logger: Logger
    ) async {
        if dispatcher.isStopping || leave {
            await release(message, afterSeconds: 0, logger: logger)
            return
        }
        if message.bodyMatchesItsMD5 == false {
            // Changed on its way (a proxy that rewrites bodies, an http:// endpoint): not the
            // producer's task, nor a rejection to answer. Left to come back after its lease (and
            // to the queue's redrive policy), as the SDKs leave a message that fails this check.
            intake.logLimiter.log(
                .error,
                "an SQS message's body does not match its MD5OfBody (changed on its way here: a proxy?); not run, left to come back",
                metadata: ["queue_url": "\(queue.url)", "error_code": "InvalidResponse"],
                key: "sqs-body-md5 \(queue.url)", logger: logger)
            return
        }
        if message.messageAttributes[Self.taskMessageIDAttribute] != nil {
            // A result, which a result_queue_url or replyTo somewhere in the fleet sent to this task
            // queue: answered, it would come back as another. Left for the queue's redrive policy.
            intake.logLimiter.log(
                .error,
                """
                a result message (it carries \(Self.taskMessageIDAttribute)) came from a task queue: some delegate's \
                [sqs] result_queue_url or a task's replyTo names this queue; it is not answered, and is left to the queue's \
                redrive policy
                """,
                metadata: ["queue_url": "\(queue.url)"], key: "sqs-result-on-task-queue \(queue.url)", logger: logger)
            return
        }
        let body = Data(message.body.utf8)
        let document = TaskDocument(body)
        // The envelope as read, first values of repeated keys included: a task every delegate
        // rejects (one too large among them) is still answered by the pool its (first) selectors
        // name, whose result queue its producer reads, not by whichever delegate of the fleet saw
        // it first.
        let envelope = document.envelope
        if let envelope {
            // A connector this host does not know may be another delegate pool's: leave it.
            let selectors = dispatcher.connectors.selectors(for: envelope)
            guard let selectors, dispatcher.matches(selectors).isAccepted else {
                logger.debug(
                    "queue task left for another delegate", metadata: ["task_id": "\(envelope.validID ?? "-")"])
                // A random part of a second first: SQS counts visibility in whole seconds, and
                // this delegate's next receive starts as this one ends, so a release made at
                // once would come back just before this delegate's receive every time, and a
                // task only other delegates may run could bounce here forever. (Cut short by a
                // stop, which releases it at once.)
                await pause(for: .milliseconds(Int(intake.random() * 1000)))
                await handBack(message, slot: slot, logger: logger)
                return
            }
        }
        let rejection: TaskRejection
        let limit = intake.settings().maxMessageBytes
        if body.count > limit {
            rejection = TaskRejection(
                code: .invalidTask,
                message: "the task message is \(body.count) bytes; at most \(limit) are allowed "
                    + "([sqs] max_message_bytes: what the queues carry, 256 KiB unless raised up to SQS's 1 MiB)",
                taskID: document.envelopeForSelection?.validID)  // not a first id of two: another task's
        } else {
            do {
                let task = try dispatcher.connectors.admit(document, defaultID: nil, by: .sqsQueue(queue.url))
                await start(task, message: message, lease: lease, receivedAt: receivedAt, logger: logger)
                return
            } catch {
                rejection = error
            }
        }
        let result = dispatcher.rejected(
            rejection, receivedAt: receivedAt, logger: logger, logLimiter: intake.logLimiter, intake: .queue)
        let destination = Self.readableReplyTo(in: document).flatMap(permittedReply) ?? configuredResultQueue
        await holdingLease(message, lease: lease, logger: logger) { leases in
            await reply(result, to: destination, for: message, leases: leases, logger: logger)
        }
    }

    /// Runs `work` with the message's lease extended meanwhile; `work` is given the leases granted.
    private func holdingLease(
        _ message: SQSMessage, lease: Int, logger: Logger, _ work: (GrantedLease) async -> Void
    ) async {
        let granted = GrantedLease(lease)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await heartbeat(message, leases: granted, logger: logger) }
            await work(granted)
            group.cancelAll()
        }
    }

    private var configuredResultQueue: SQSQueueURL? {
        let url = intake.settings().resultQueueURL
        return url.isEmpty ? nil : try? SQSQueueURL(url)
    }

    /// `queue` if results may be sent there (``DelegateConfiguration/SQSSection/permitsReplies(to:)``)
    /// and it is none of this delegate's task queues.
    private func permittedReply(_ queue: SQSQueueURL) -> SQSQueueURL? {
        let settings = intake.settings()
        return settings.permitsReplies(to: queue) && !settings.isTaskQueue(queue) ? queue : nil
    }

    /// Why a task's result may not go to its `replyTo`, said in its rejection.
    private func replyToRefusal(_ replyTo: SQSQueueURL) -> String {
        let shown = ShownText.quoted(replyTo.origin, limit: 64)
        if intake.settings().isTaskQueue(replyTo) {
            return
                "replyTo is one of this delegate's task queues ([sqs] queue_urls): its result would come back as a task"
        }
        return "replyTo \(shown) is not an SQS endpoint of this delegate (an https host of "
            + "Amazon SQS, the origin of a configured queue, or with [sqs] endpoint set a queue of its region)"
    }

    /// Runs an admitted task with its lease extended meanwhile. A stop that began since the
    /// message was taken up starts nothing: the message is made visible again at once, for the
    /// next start or another delegate, before its lease heartbeat starts (an extension landing
    /// after the release would hide it again for a whole lease).
    func start(_ task: DelegateTask, message: SQSMessage, lease: Int, receivedAt: Date, logger: Logger) async {
        if dispatcher.isStopping {
            await release(message, afterSeconds: 0, logger: logger)
            return
        }
        await holdingLease(message, lease: lease, logger: logger) { leases in
            await run(task, message: message, leases: leases, receivedAt: receivedAt, logger: logger)
        }
    }

    /// Runs a valid task, then replies.
    private func run(
        _ task: DelegateTask, message: SQSMessage, leases: GrantedLease, receivedAt: Date, logger: Logger
    ) async {
        let replyTo = task.replyTo.flatMap { try? SQSQueueURL($0) }
        if let replyTo, permittedReply(replyTo) == nil {
            // Not run: its result would go, signed with this delegate's identity, to a host that
            // is none of its queues'. With no result queue either, it is deleted unrun, with
            // this line its only trace.
            let resultQueue = configuredResultQueue
            let result = dispatcher.rejected(
                TaskRejection(
                    code: .invalidTask, message: replyToRefusal(replyTo) + "; the task was not run", task: task),
                receivedAt: receivedAt, logger: logger, logLimiter: intake.logLimiter, intake: .queue,
                kind: resultQueue == nil ? .deletedUnrun : nil)
            if let resultQueue {
                await reply(result, to: resultQueue, for: message, leases: leases, logger: logger)
            } else {
                // That line says it all: not "its result has nowhere to go" on top of it.
                await delete(message, logger: logger)
            }
            return
        }
        guard let destinationAtStart = replyTo ?? configuredResultQueue else {
            // Nowhere to send a result, not even a rejection: the task is dropped, loudly.
            _ = dispatcher.rejected(
                TaskRejection(
                    code: .invalidTask,
                    message: "the task names no replyTo and [sqs] result_queue_url is empty; it was deleted unrun",
                    task: task),
                receivedAt: receivedAt, logger: logger, logLimiter: intake.logLimiter, intake: .queue,
                kind: .deletedUnrun)
            await delete(message, logger: logger)
            return
        }
        logger.info(
            "task received from an SQS queue",
            metadata: [
                "event": "\(LogEventKind.taskClaimed)", "task_id": "\(task.id)", "connector_id": "\(task.connector.id)",
                "connector_kind": "\(task.connectorKind)",
                "operation": "\(task.operation.name.rawValue)", "receive_count": "\(Self.receiveCount(of: message))",
            ])
        var task = task
        // Handed out before (its lease lapsed, its delegate died or stopped): that run may have
        // made its calls since it first received the message, and given no result.
        if (message.receiveCount ?? 1) > 1 { task.earlierRunSince = message.firstReceivedAt.map { .aws($0) } }
        var settled: (destination: SQSQueueURL?, message: SQSBatchMessage?) = (nil, nil)
        let result = await dispatcher.run(task, receivedAt: receivedAt, logger: logger) { ran in
            let decided = settle(
                ran, replyTo: replyTo, destinationAtStart: destinationAtStart, for: message, logger: logger)
            settled = (decided.destination, decided.message)
            return decided.result
        }
        await reply(
            result, to: settled.destination, for: message, leases: leases, logger: logger, prepared: settled.message)
    }

    /// A task's result as it will be sent, and where, decided as it finishes (before it is logged
    /// and counted: the journal and the counters say what the producer gets) by the settings in
    /// force then (a reload while it ran): the result queue configured then (else the one at its
    /// start), and a replyTo only if it is still one this delegate sends to, else the result is
    /// withheld from it; a result larger than `[sqs] max_message_bytes` becomes a `ResultTooLarge` failure.
    /// With a destination comes the message to send it in, made once.
    private func settle(
        _ result: TaskResult, replyTo: SQSQueueURL?, destinationAtStart: SQSQueueURL, for message: SQSMessage,
        logger: Logger
    ) -> (result: TaskResult, destination: SQSQueueURL?, message: SQSBatchMessage?) {
        var settled = result
        var destination = replyTo ?? configuredResultQueue ?? destinationAtStart
        if let replyTo, permittedReply(replyTo) == nil {
            settled = result.withheld(
                TaskFailure(
                    code: .invalidTask,
                    message: replyToRefusal(replyTo) + " since a reload while the task ran; its result was withheld",
                    retryable: false))
            logger.error(
                "a reload while the task ran took its replyTo from where this delegate sends results; its result was withheld",
                metadata: ["task_id": "\(result.id ?? "-")", "error_code": "InvalidTask"])
            guard let configured = configuredResultQueue else { return (settled, nil, nil) }
            destination = configured
        }
        // Only the result queue of its start is unchecked by now (a replyTo sent to is permitted,
        // so no task queue, and validation keeps the configured result queue out of them): a
        // reload may have made it one of the task queues and left result_queue_url empty, and a
        // result there would come back as a task.
        if replyTo == nil, configuredResultQueue == nil, intake.settings().isTaskQueue(destination) {
            logger.error(
                "a reload while the task ran made its result queue a task queue; its result was not sent",
                metadata: ["task_id": "\(result.id ?? "-")", "result_queue_url": "\(destination)"])
            return (settled, nil, nil)
        }
        let prepared = resultMessage(for: settled, of: message, logger: logger)
        return (prepared.sent, destination, prepared.message)
    }

    /// ``resultMessage(for:taskID:taskMessageID:limit:)`` for `message`'s result, the replacement of
    /// one too large logged, and the result it holds.
    private func resultMessage(
        for result: TaskResult, of message: SQSMessage, logger: Logger
    ) -> (message: SQSBatchMessage, sent: TaskResult) {
        let taskID = result.id ?? message.messageId
        let limit = intake.settings().maxMessageBytes
        let prepared = Self.resultMessage(for: result, taskID: taskID, taskMessageID: message.messageId, limit: limit)
        guard let oversize = prepared.oversize else { return (prepared.message, result) }
        logger.warning(
            "a result too large for SQS was replaced by a ResultTooLarge failure",
            metadata: ["task_id": "\(taskID)", "error_code": "ResultTooLarge", "result_bytes": "\(oversize)"])
        return (prepared.message, Self.tooLarge(result, size: oversize, limit: limit))
    }

    /// Extends the message's lease to `visibility_seconds` every third of it until cancelled, a
    /// third of the shorter of the lease last granted and the one about to be asked for (a reload
    /// that lengthens `visibility_seconds` never lets the running lease lapse), counted from when
    /// the last extension was asked for. Each extension may take at most that third (a hung
    /// connection is given up, not waited on for the client's whole timeout and retries), and no
    /// longer than the lease still runs; one that failed is tried again after
    /// ``extensionRetryPause`` rather than a third of a lease later, so the two thirds left are
    /// used for more than one attempt. A lease that ran out is logged (the message may then run
    /// on another delegate too) and extending goes on, each failure then waiting twice as long as
    /// the last, up to a third of the lease (``retryPauseAfterLapse(failures:period:)``): only a
    /// receive of the message again (here, with a new receipt handle) lets one succeed, and that
    /// lease is a whole `visibility_seconds`.
    ///
    /// `leases` holds the receive's lease and records each extension SQS granted (how long the
    /// answer is remembered).
    func heartbeat(_ message: SQSMessage, leases: GrantedLease, logger: Logger) async {
        var granted = leases.longestSeconds  // the receive's: no extension yet
        var expiresAt = intake.monotonicNow() + .seconds(granted)
        var lapseLogged = false
        var failuresSinceLapse = 0
        var pause = Self.extensionPeriod(granted: granted, visibility: intake.settings().visibilitySeconds)
        while !Task.isCancelled {
            do {
                try await intake.sleeper.sleep(for: pause)
            } catch {
                return
            }
            if Task.isCancelled { return }
            let visibility = intake.settings().visibilitySeconds
            let period = Self.extensionPeriod(granted: granted, visibility: visibility)
            let asked = intake.monotonicNow()
            var limit = period
            let lapsed = asked >= expiresAt
            // SQS's lease began at its answer to the receive, before the heartbeat counted it from
            // (and an extension reaches SQS after it is asked for): near its end, SQS may have
            // ended it already.
            let nearLapse = asked >= expiresAt - min(Self.leaseEndMargin, .seconds(granted) / 6)
            if !lapsed {
                limit = min(period, expiresAt - asked)
            } else if !lapseLogged {
                lapseLogged = true
                intake.logLimiter.log(
                    .warning,
                    "the lease of an SQS task message ran out before it could be extended; it may run on another delegate too",
                    metadata: ["queue_url": "\(queue.url)"], key: "sqs-lease-lapsed \(queue.url)", logger: logger)
            }
            switch await extendLease(of: message, to: visibility, within: limit, logger: logger) {
            case .cancelled:
                return
            case .extended:
                granted = visibility
                leases.extended(to: visibility)
                expiresAt = asked + .seconds(visibility)
                // A new lease: should it run out too, that is said again (rate-limited).
                failuresSinceLapse = 0
                lapseLogged = false
                let next = Self.extensionPeriod(granted: granted, visibility: visibility)
                pause = max(.zero, next - (intake.monotonicNow() - asked))
            case .failed(let error):
                // Once the result is sent, the message is being deleted: an extension that lost
                // that race found it gone, which is no failure of the queue. Nor is SQS refusing
                // the old receipt handle once the lease ran out or is within its margin of it
                // (`nearLapse`; the lapse itself is warned of above): that is this
                // message's fate, and recorded it would show the queue failing until another
                // extension succeeds, maybe long after the queue works again.
                if !intake.answered.contains(key(of: message), now: .now), !(nearLapse && Self.refusesTheHandle(error)) {
                    intake.record(error, of: "ChangeMessageVisibility", queue: queue, logger: logger)
                }
                if lapsed {
                    failuresSinceLapse += 1
                    pause = Self.retryPauseAfterLapse(failures: failuresSinceLapse, period: period)
                } else {
                    pause = min(period, Self.extensionRetryPause)
                }
            }
        }
    }

    /// Whether `error` is SQS refusing a receipt handle as no longer good (expired, not in
    /// flight, invalid), as it refuses a lapsed lease's: an answer about the message, not a denial,
    /// throttling or a fault of the queue's.
    static func refusesTheHandle(_ error: AWSError) -> Bool {
        error.kind == .service && !error.whileObtainingCredentials && !(500...599).contains(error.httpStatus ?? 0)
            && Self.handleRefusals.contains(error.code.rawValue)
    }

    /// SQS's codes for a receipt handle it no longer takes (the JSON protocol's, and the query
    /// protocol's spelling of the second).
    private static let handleRefusals: Set<String> = [
        "ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
        "InvalidParameterValue",
    ]

    /// How long before the heartbeat's count of a lease runs out SQS may have ended it already (the
    /// receive's round trip, an extension's way there): a refusal of the receipt handle then is the
    /// lapse's. (A sixth of the lease, if shorter: the first extension comes at a third.)
    static let leaseEndMargin = Duration.seconds(5)

    /// How soon a failed lease extension is tried again (at most a third of the lease).
    static let extensionRetryPause: Duration = .seconds(2)

    /// How soon an extension is tried again after the `failures`th since the lease ran out:
    /// ``extensionRetryPause``, then twice as long each time, at most `period` (a third of the
    /// lease). The lease lapsed, SQS refuses the old receipt handle; one that comes back here
    /// with a new one is granted a whole lease, extended within a third of it.
    static func retryPauseAfterLapse(failures: Int, period: Duration) -> Duration {
        let doublings = min(max(failures - 1, 0), 16)
        return min(period, extensionRetryPause * (1 << doublings))
    }

    /// A third of the shorter of the lease granted and the one to be asked for.
    static func extensionPeriod(granted: Int, visibility: Int) -> Duration {
        .milliseconds(min(granted, visibility) * 1000 / 3)
    }

    private enum Extension {
        case extended
        case failed(AWSError)
        /// The heartbeat was cancelled (the message was deleted meanwhile): nothing to record.
        case cancelled
    }

    /// One `ChangeMessageVisibility`, given up (and cancelled) after `limit`.
    private func extendLease(
        of message: SQSMessage, to visibility: Int, within limit: Duration, logger: Logger
    ) async -> Extension {
        let (intake, queue) = (intake, queue)
        let receiptHandle = receiptHandle(of: message)
        let outcome = await Race.first(
            { () -> Extension? in
                do throws(AWSError) {
                    try await intake.client(for: queue).changeMessageVisibility(
                        queue: queue, receiptHandle: receiptHandle, seconds: visibility, logger: logger)
                    intake.record(nil, of: "ChangeMessageVisibility", queue: queue, logger: logger)
                    return .extended
                } catch {
                    // Only this call's own cancellation ends the heartbeat: a `Cancelled` from
                    // elsewhere (a client shut down) is a failed extension, tried again.
                    if Task.isCancelled { return nil }
                    return .failed(error)
                }
            },
            { () -> Extension? in
                try? await Task.sleep(for: limit)
                if Task.isCancelled { return nil }
                return .failed(
                    AWSError(
                        kind: .transport, code: .endpointUnreachable,
                        message:
                            "no answer within \(limit) (a third of the lease, or what was left of it); trying again",
                        retryable: true))
            })
        // Nil: the heartbeat was cancelled.
        return outcome ?? .cancelled
    }

    /// Sends `result` to `destination` (body: the result JSON, attribute `taskId`; to a FIFO queue
    /// with the task id as group id and the task message's SQS id as deduplication id: the same for
    /// every run of that message, another for the same task id sent again), then deletes the task
    /// message, each in a
    /// batch with other tasks' (``SQSIntake/send(_:to:logger:)``). A result that cannot be sent
    /// leaves the message to come back after its lease and run again.
    /// `prepared`: the message its task's finishing step made of it (else it is made here);
    /// `leases`: the leases the message was granted (its answer is remembered for the longest).
    func reply(
        _ result: TaskResult, to destination: SQSQueueURL?, for message: SQSMessage, leases: GrantedLease,
        logger: Logger, prepared: SQSBatchMessage? = nil
    ) async {
        guard let destination else {
            // A producer's messages provoke it: rate-limited per queue.
            intake.logLimiter.log(
                .error,
                "a task message's result has nowhere to go (no replyTo it may go to, and [sqs] result_queue_url is empty); it was deleted",
                metadata: ["task_id": "\(result.id ?? "-")", "error_code": "\(result.error?.code.rawValue ?? "-")"],
                key: "sqs-no-result-destination \(queue.url)", logger: logger)
            await delete(message, logger: logger)
            return
        }
        let taskID = result.id ?? message.messageId
        let resultMessage = prepared ?? self.resultMessage(for: result, of: message, logger: logger).message
        if let error = await intake.send(resultMessage, to: destination, logger: logger) {
            if error.code == .cancelled, Task.isCancelled {
                // The stop's time ran out (its handlers were cancelled): no fault of the queue's.
                logger.notice(
                    "stopping: the result was not sent, the stop's time ran out; the task message is left to run again",
                    metadata: ["task_id": "\(taskID)", "result_queue_url": "\(destination)"])
                return
            }
            intake.status.update(queue.url) { $0.resultSendFailures += 1 }
            intake.record(error, of: "SendMessage", queue: queue, sentTo: destination.url, logger: logger)
            intake.logLimiter.log(
                .error, "the result could not be sent to \(destination); the task message is left to run again",
                metadata: [
                    "task_id": "\(taskID)", "error_code": "\(error.code)", "result_queue_url": "\(destination)",
                ],
                key: "sqs-result-not-sent \(queue.url)", logger: logger)
            return
        }
        intake.record(nil, of: "SendMessage", queue: queue, logger: logger)
        // Remembered before the delete (the message may come back while it is on its way), and
        // again once it returned: the lease was extended until then.
        let answeredKey = key(of: message)
        let longestLease = leases.longestSeconds
        rememberAnswered(answeredKey, longestLease: longestLease)
        await delete(message, logger: logger)
        rememberAnswered(answeredKey, longestLease: longestLease)
    }

    /// The result message: the result JSON as body, the task id as attribute `taskId` and the task
    /// message's SQS id as `taskMessageId` (so that `submit --wait` tells its own send's result
    /// from an older one of the same task id); for a FIFO queue, the task id as group id and the
    /// task message's SQS id as deduplication id. When that is larger than `limit`, what the
    /// queues carry (body and attributes: it would be refused at every lease), the body is a
    /// `ResultTooLarge` failure that fits instead, and `oversize` the size it replaced.
    static func resultMessage(
        for result: TaskResult, taskID: String, taskMessageID: String, limit: Int
    ) -> (message: SQSBatchMessage, oversize: Int?) {
        var message = SQSBatchMessage(
            body: result.jsonLine, attributes: ["taskId": taskID, Self.taskMessageIDAttribute: taskMessageID],
            groupID: taskID,
            deduplicationID: taskMessageID,
            sensitive: result.secretValues)
        let size = message.countedBytes
        guard size > limit else { return (message, nil) }
        message.body = tooLarge(result, size: size, limit: limit).jsonLine
        message.sensitive = []
        return (message, size)
    }

    /// The `ResultTooLarge` failure in place of `result`, whose message would be `size` bytes.
    private static func tooLarge(_ result: TaskResult, size: Int, limit: Int) -> TaskResult {
        result.withheld(
            TaskFailure(
                code: .resultTooLarge,
                message: "the result is \(size) bytes with its attributes; a result message holds at most "
                    + "\(limit) (the delegate's [sqs] max_message_bytes; the operation ran; ask for less, e.g. "
                    + "listSecrets with a filter, or use the socket or spool)",
                retryable: false))
    }

    /// A message's `ApproximateReceiveCount` for the journal's `RECEIVE_COUNT`, `-` when SQS did not
    /// return it.
    private static func receiveCount(of message: SQSMessage) -> String {
        message.receiveCount.map { "\($0)" } ?? "-"
    }

    /// Remembers that `key`'s result was sent, for ``AnsweredMessages/keptFor(visibilitySeconds:)`` of
    /// the longer of `longestLease` and `visibility_seconds`, from now.
    private func rememberAnswered(_ key: AnsweredMessages.Key, longestLease: Int) {
        let keptFor = answeredKeptFor(longestLease: longestLease)
        let early = intake.answered.remember(key, now: .now, keptFor: keptFor)
        guard early > 0 else { return }
        // Rate-limited: at such a pace it would come with every answer.
        intake.logLimiter.warning(
            """
            more SQS task messages were answered within \(keptFor) than the \(AnsweredMessages.capacity) this \
            delegate remembers; the oldest are forgotten early, and one of them whose delete did not take runs \
            again if it comes back (lower [sqs] visibility_seconds to shorten the time, or spread the queue over \
            more delegates)
            """,
            metadata: ["queue_url": "\(queue.url)", "forgotten": "\(early)"], key: "sqs-answered-forgotten-early",
            logger: logger)
    }

    /// How long an answered message is remembered: for the longer of the lease it was granted
    /// (`longestLease`: a reload may have lowered `visibility_seconds` since) and the one now in
    /// force (a delegate receiving it next is granted that).
    private func answeredKeptFor(longestLease: Int) -> Duration {
        AnsweredMessages.keptFor(visibilitySeconds: max(intake.settings().visibilitySeconds, longestLease))
    }

    /// Deletes `message` (with `newestHandle`, else ``receiptHandle(of:)``), counted in `deleted`
    /// unless `counted` is false (a message that came back, counted in `redelivered`).
    private func delete(
        _ message: SQSMessage, counted: Bool = true, newestHandle: String? = nil, logger: Logger
    ) async {
        let handle = newestHandle ?? receiptHandle(of: message)
        if let error = await intake.delete(receiptHandle: handle, from: queue, logger: logger) {
            // Cut off by the stop's time running out (a cancelled handler): no fault of the
            // queue's, no queue-failing.
            if error.code == .cancelled, Task.isCancelled { return }
            // The message comes back after its lease: to this delegate it is deleted again (if it
            // was answered), to another it runs again (its writes are idempotent).
            intake.record(error, of: "DeleteMessage", queue: queue, logger: logger)
        } else {
            if counted { intake.status.update(queue.url) { $0.deleted += 1 } }
            intake.record(nil, of: "DeleteMessage", queue: queue, logger: logger)
        }
    }

    /// The receipt handle to act on `message` with: the newest, should it have been received
    /// again while this delegate handles it (``RunningMessages``): SQS honours only that one.
    private func receiptHandle(of message: SQSMessage) -> String {
        intake.running.newestHandle(key(of: message)) ?? message.receiptHandle
    }

    /// What `message` is known by in ``AnsweredMessages`` and ``RunningMessages``.
    private func key(of message: SQSMessage) -> AnsweredMessages.Key {
        .init(queue: queue, messageID: message.messageId)
    }

    /// Makes a message visible again after `seconds` without running it.
    @discardableResult
    private func release(_ message: SQSMessage, afterSeconds seconds: Int, logger: Logger) async -> Bool {
        await intake.release(
            receiptHandle: receiptHandle(of: message), on: queue, afterSeconds: seconds, logger: logger)
    }

    /// Makes a message for other delegates visible again 1-3 s from now (at once when the delegate
    /// is stopping: it receives no more). A release SQS did not take (after the client's own
    /// retries) is tried again twice, 2 then 4 s later: else the message would stay hidden from the
    /// delegates that may run it for the rest of its lease. A stop ends the wait and makes one last
    /// try, visible at once (the stop's own release covers only messages whose tasks run here).
    ///
    /// `slot`, the message's, is held for the first try only: a release SQS keeps refusing (no
    /// `sqs:ChangeMessageVisibility`, an endpoint gone) must not hold this delegate's own tasks
    /// up for its retries, while the first try still paces the receives (a message in hand per
    /// slot, not one per answer from SQS). But only while fewer than `concurrency` such retries
    /// wait without theirs: each holds its message (up to SQS's 1 MiB), and the slot it
    /// gave up receives another at once, so with the release refused to all of them a queue of
    /// other delegates' tasks would pile messages up in memory at the pace of the receives (a few
    /// hundred MiB of 1 MiB ones in the 6 s of the retries). Past that bound the retries keep the
    /// slot, and the receives slow down to them.
    private func handBack(_ message: SQSMessage, slot: HeldSlot?, logger: Logger) async {
        var slotless = false
        defer { if slotless { intake.slotlessHandBacks.leave() } }
        for retry in 0..<3 {
            if retry > 0 {
                if let slot, !slotless, intake.slotlessHandBacks.enter(below: dispatcher.concurrency) {
                    slotless = true
                    slot.release()
                }
                await pause(for: .seconds(1 << retry))
                if dispatcher.isStopping || Task.isCancelled {
                    // One last try, at once.
                    if !Task.isCancelled { await release(message, afterSeconds: 0, logger: logger) }
                    return
                }
            }
            // At a stop, visible again at once: this delegate receives no more.
            let after = dispatcher.isStopping ? 0 : 1 + Int(intake.random() * 3)
            if await release(message, afterSeconds: after, logger: logger) { return }
        }
    }

    /// A rejected message's `replyTo`, read leniently (the message may be anything, up to
    /// ``DelegateTask/maximumSize``: one over `[sqs] max_message_bytes` is answered where its producer looks).
    static func readableReplyTo(in document: TaskDocument) -> SQSQueueURL? {
        guard let parsed = document.parsed, !parsed.hasDuplicateKeys,
            let replyTo = parsed.value["replyTo"]?.stringValue
        else { return nil }
        return try? SQSQueueURL(replyTo)
    }
}
