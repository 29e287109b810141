import AWSCore
import FoundationEssentials
import HTTP
import JSON
import Logging
import SQS
import DelegateClient

extension TaskSubmitter {
    /// `submit --sqs QUEUE_URL [--reply-queue URL]`: where the task goes and where its result comes
    /// back, signed with the configuration's identity (`[identity] sources`, in their order).
    public struct SQSDestination: Sendable, Equatable {
        public var queueURL: String
        /// `--reply-queue`; else the task's own `replyTo`, else `[sqs] result_queue_url`.
        public var replyQueueURL: String?
        public var configuration: DelegateConfiguration
        public var environment: [String: String]

        public init(
            queueURL: String, replyQueueURL: String?, configuration: DelegateConfiguration,
            environment: [String: String]
        ) {
            self.queueURL = queueURL
            self.replyQueueURL = replyQueueURL
            self.configuration = configuration
            self.environment = environment
        }
    }

    /// How long one receive on the reply queue waits; a message of another task seen meanwhile is
    /// made visible again at once.
    static let replyPollSeconds = 5

    /// How long a receive of the wait asks SQS to wait with `left` to the deadline, and whether
    /// it is the last: SQS's wait ends within the timeout (a long poll cut off on the client's
    /// side goes on at SQS, which then hands what comes to no one, hidden for 30 s), so whole
    /// seconds of what is left, at most ``replyPollSeconds``; in its last second, one receive
    /// that does not wait.
    static func receiveWait(left: Duration) -> (waitSeconds: Int, last: Bool) {
        let seconds = max(0, left.components.seconds)
        return (Int(min(Int64(replyPollSeconds), seconds)), seconds < 1)
    }

    /// The wait after a receive that brought only other tasks' messages: they are visible again
    /// at once, and SQS's long poll does not wait while any message is.
    static let othersOnlyPause: Duration = .seconds(1)

    /// `[aws]`'s attempts and timeouts as the daemon reads them, each request given room for a
    /// receive's wait besides `request_timeout_seconds`.
    static func clientOptions(_ configuration: DelegateConfiguration) -> AWSClientOptions {
        var options = DelegateDaemon.Components.awsOptions(configuration)
        options.requestTimeout += .seconds(replyPollSeconds)
        return options
    }

    /// The values a write task carries (`params.secretString`, `params.secretBinary`): what an
    /// error about sending the task must not quote, though an endpoint or a proxy that echoes the
    /// request body would. (A field given twice is refused before sending.)
    static func secretParams(of task: JSONObject) -> [String] {
        guard case .object(let params)? = task["params"] else { return [] }
        return ["secretString", "secretBinary"].compactMap { params[$0]?.stringValue }
    }

    /// How long past the wait's deadline an answer on its way, and the releases and deletes of
    /// what it brought, may take: what SQS handed out is hidden from everyone else until settled.
    static let settleSeconds: Duration = .seconds(5)

    func submitToSQS(
        _ task: Data, id: String?, object: JSONObject, repeatsAField: Bool, to target: SQSDestination,
        privateKey: [UInt8]?
    )
        async -> CommandOutcome
    {
        guard let id else {
            return .failure(
                "a task sent to SQS needs an id (the delegate has no file name to take one from)",
                status: ExitStatus.usage)
        }
        // What the delegate would reject without reading the task's id or replyTo sends its
        // rejection where --wait does not look: refused here instead.
        if let problem = Self.unreadableIDProblem(id, repeatsAField: repeatsAField) {
            return .failure(problem, status: ExitStatus.usage)
        }
        switch object["replyTo"] {
        case nil, .string?: break
        case .null? where target.replyQueueURL == nil: break  // as the delegate reads it: no replyTo
        case .null?:
            return .failure(
                "the task's replyTo is null and --reply-queue is given: drop one of them (the delegate would send "
                    + "the result elsewhere, or see the field twice)",
                status: ExitStatus.usage)
        case _?:
            return .failure("the task's replyTo must be a queue URL string", status: ExitStatus.usage)
        }
        // Each URL read where it was given, so that a refusal names which one it was.
        func queueURL(_ url: String, _ what: String) throws(AWSError) -> SQSQueueURL {
            do throws(AWSError) {
                return try SQSQueueURL(url)
            } catch {
                throw AWSError.validation(.invalidTask, "\(what): \(error.message)")
            }
        }
        let queue: SQSQueueURL
        var reply: SQSQueueURL?
        var body = task
        do throws(AWSError) {
            queue = try queueURL(target.queueURL, "--sqs")
            if let given = target.replyQueueURL {
                reply = try queueURL(given, "--reply-queue")
                if let own = object["replyTo"]?.stringValue, own != given {
                    return .failure(
                        "the task's replyTo (\(own.prefix(200))) is not --reply-queue (\(given.prefix(200))): "
                            + "its result would not come back where --wait looks; drop one of them",
                        status: ExitStatus.usage)
                }
                if object["replyTo"] == nil {
                    guard let withReply = Self.inserting(field: "replyTo", value: given, into: task) else {
                        return .failure("the task is not a JSON object", status: ExitStatus.usage)
                    }
                    body = withReply
                }
            } else if let replyTo = object["replyTo"]?.stringValue {
                reply = try queueURL(replyTo, "the task's replyTo")
            } else if !target.configuration.sqs.resultQueueURL.isEmpty {
                reply = try queueURL(target.configuration.sqs.resultQueueURL, "[sqs] result_queue_url")
            }
        } catch {
            return .failure(error.message, status: ExitStatus.usage)
        }
        // Through an [sqs] endpoint of one region, a queue of another cannot be reached (the
        // delegate refuses such a configuration, and such a replyTo).
        for (what, given) in [("the task queue", queue), ("the result queue", reply)] {
            if let given, !target.configuration.sqs.reaches(given) {
                return .failure(
                    "\(what) (\(given.url.prefix(200))) is in \(given.amazonSQSRegion ?? "-"), and [sqs] endpoint "
                        + "(\(target.configuration.sqs.endpoint.prefix(200))) serves its own region only",
                    status: ExitStatus.usage)
            }
        }
        if let reply, reply.namesSameQueue(as: queue, throughOneEndpoint: !target.configuration.sqs.endpoint.isEmpty) {
            return .failure(
                "the result queue is the task queue (\(queue.url.prefix(200))): a delegate would take the result for a task; "
                    + "name a queue of its own for results",
                status: ExitStatus.usage)
        }
        // Another of the configuration's task queues: a delegate would refuse to answer there
        // (its result would be taken for a task), and --wait would wait out its timeout.
        if let reply, target.configuration.sqs.isTaskQueue(reply) {
            return .failure(
                "the result queue (\(reply.url.prefix(200))) is one of [sqs] queue_urls, a task queue: a delegate would "
                    + "take the result for a task; name a queue of its own for results",
                status: ExitStatus.usage)
        }
        // A reply queue the delegate does not send to (its results are signed with its identity):
        // it would reject the task where --wait does not look. The delegate takes tasks from
        // `queue`, so that queue's origin is one of its own.
        var delegates = target.configuration.sqs
        delegates.queueURLs.append(queue.url)
        if let reply, !delegates.permitsReplies(to: reply) {
            return .failure(
                "the result queue (\(reply.url.prefix(200))) is not where a delegate sends results: an https host of "
                    + "Amazon SQS, the origin of the task queue or of a configured queue, or with [sqs] endpoint set "
                    + "a queue of its region",
                status: ExitStatus.usage)
        }
        // SQS counts the attributes with the body.
        let counted = SQSBatchMessage(body: String(decoding: body, as: UTF8.self), attributes: ["taskId": id])
            .countedBytes
        let limit = target.configuration.sqs.maxMessageBytes
        guard counted <= limit else {
            return .failure(
                "the task is \(counted) bytes with its taskId attribute; at most \(limit) are sent ([sqs] max_message_bytes: "
                    + "what the queues carry, 256 KiB unless raised up to SQS's 1 MiB)",
                status: ExitStatus.usage)
        }
        if wait, reply == nil {
            return .failure(
                "--wait needs a reply queue: --reply-queue, the task's replyTo or [sqs] result_queue_url",
                status: ExitStatus.usage)
        }
        let logger = Logger(label: "secrets-delegate.submit", factory: { _ in SwiftLogNoOpLogHandler() })
        let http: CurlHTTPClient
        do {
            http = try CurlHTTPClient(
                configuration: .init(
                    environment: target.environment, userAgent: "secrets-delegate/\(DelegateVersion.current)"),
                logger: logger)
        } catch {
            return .failure("cannot set up HTTP: \(error)", status: ExitStatus.unavailable)
        }
        defer { http.shutdown() }
        let identity = DelegateDaemon.Components.identity(
            target.configuration, environment: target.environment, http: http, clock: SystemWallClock(), logger: logger)
        func client(for queue: SQSQueueURL) -> SQSClient {
            let sqs = target.configuration.sqs
            return SQSClient(
                aws: AWSClient(
                    endpoint: queue.endpoint(region: sqs.signingRegion(for: queue), endpointOverride: sqs.endpoint),
                    options: Self.clientOptions(target.configuration),
                    httpClient: http),
                credentials: identity)
        }
        // --timeout bounds the send, then the wait: an endpoint that takes the connection and
        // never answers would otherwise hold each attempt for the request timeout, and retry.
        let sender = client(for: queue)
        let text = String(decoding: body, as: UTF8.self)
        let sent: (messageID: String?, answeredAt: Date?)?
        do throws(AWSError) {
            sent = try await Self.before(ContinuousClock.now + timeout) {
                () async throws(AWSError) -> (messageID: String?, answeredAt: Date?) in
                try await sender.sendMessageDated(
                    queue: queue, body: text, attributes: ["taskId": id], groupID: id, deduplicationID: id,
                    redacting: Self.secretParams(of: object), logger: logger)
            }
        } catch {
            // An attempt whose answer was lost or unreadable (a timeout, a reset, a 5xx) may have
            // been queued.
            return .failure(
                error.anAttemptMayHaveArrived
                    ? "sending the task to \(queue) failed: \(error); an attempt may have reached SQS, so the task may "
                        + "have been sent: look for its result before sending it again"
                    : "the task could not be sent to \(queue): \(error)",
                status: ExitStatus.unavailable)
        }
        guard let sent else {
            return .failure(
                "the task could not be sent to \(queue) within \(timeout) (SQS did not answer; it may have been sent)",
                status: ExitStatus.unavailable)
        }
        guard wait, let reply else {
            return CommandOutcome(output: "submitted \(id) to \(queue)", status: ExitStatus.success)
        }
        // On a FIFO task queue a send deduplicated there (the same id within its 5 minutes) is
        // answered by the first message's result, whatever id the second send got: a result to
        // another message may be this one's if that task came within the window, not before it
        // (an uncollected result of an earlier submission, maybe an old secret value). By AWS's
        // clock, as results are dated (SentTimestamp): when SQS answered the send (its Date),
        // else this host's time as the send's client knows AWS's.
        let sentAt = sent.answeredAt ?? sender.aws.serverTime(of: Date())
        let deduplicatedSince = sentAt.addingTimeInterval(-Self.deduplicationReach)
        return await waitForResult(
            id: id, sentMessageID: sent.messageID, deduplicatedSince: queue.isFIFO ? deduplicatedSince : nil,
            on: reply, client: client(for: reply), privateKey: privateKey, deadline: ContinuousClock.now + timeout,
            logger: logger)
    }

    /// `operation`'s value, or nil if `deadline` came first: the operation is cancelled then (its
    /// HTTP transfer aborted), and no retry starts that would end past it (``AWSCallDeadline``).
    static func before<Value: Sendable>(
        _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws(AWSError) -> Value
    ) async throws(AWSError) -> Value? {
        // nil: the deadline came first.
        let first: Result<Value, AWSError>? = await Race.first(
            {
                await AWSCallDeadline.$current.withValue(SuspendingClock.now + (deadline - ContinuousClock.now)) {
                    do throws(AWSError) {
                        return .success(try await operation())
                    } catch {
                        return .failure(error)
                    }
                }
            },
            {
                try? await Task.sleep(until: deadline)
                return nil
            })
        return try first?.get()
    }

    /// How far back a FIFO send's deduplication may reach, in seconds: SQS's 5-minute window, and
    /// a minute for the send's own time (its answer's Date is to the second; without one, this
    /// host's clock as its client knows AWS's, which learns a skew only from a refusal).
    static let deduplicationReach: TimeInterval = 6 * 60

    /// Takes this task's result from `reply` (and deletes it, and any copy of it in the same
    /// answer: a task run twice sends two); every other message is made visible again at once,
    /// for whoever waits for it. A message that carries this task's id but whose body is no result
    /// of this task (``reading(_:of:privateKey:open:)``: anyone who may send to the reply queue
    /// can send one) is neither taken nor deleted: it is left invisible for its visibility
    /// timeout, and the wait goes on for the real result. So is a result of this task id that
    /// names (`taskMessageId`) another task message than the one sent (`sentMessageID`; nil if
    /// SQS's answer named none, and then not compared): an older submission's, not collected;
    /// unless `deduplicatedSince` is given (a FIFO task queue) and it was sent at or after it
    /// (``mayAnswerDeduplicatedSend(_:sentAt:since:)``: a send SQS deduplicated is answered by the
    /// first message's result). This
    /// authenticates nothing: anyone who may send to the reply queue can send a result, and a sealed one (`--seal`) only
    /// asks the forger to have read the task's `sealTo` from the task queue. A sealed result of
    /// this task that this host's libcrypto fails to open (``Reading/unopenable(_:)``) is put back
    /// to be received and opened again (the failure may pass: no memory for a moment); failing a
    /// second time, it is taken as the answer: deleted, with its copies, and the wait ends with 69
    /// (only this submission's key could open it). A receive that brought only others' messages
    /// is followed by a pause (``othersOnlyPause``): put back at once, they would come straight
    /// back, and the wait would spin receive after receive.
    private func waitForResult(
        id: String, sentMessageID: String?, deduplicatedSince: Date?, on reply: SQSQueueURL, client: SQSClient,
        privateKey: [UInt8]?, deadline: ContinuousClock.Instant, logger: Logger
    ) async -> CommandOutcome {
        var strangers = Set<String>()
        /// Of `strangers`, results of this id sealed to another key (with `--seal`).
        var sealedToAnotherKey = Set<String>()
        var earlier = Set<String>()
        /// Messages holding this task's sealed result that this host's libcrypto failed to open.
        var failedOpens = Set<String>()
        /// Makes the messages of `putBack` visible again and deletes those of `delete` (the
        /// result taken and its copies), all at once, by `until`: one after another, a slow
        /// endpoint would leave the last hidden. Returns why each message of `delete` that was
        /// not deleted was not, by receipt handle.
        func settle(putBack: [String], delete: [String], by until: ContinuousClock.Instant) async -> [String: String] {
            await withTaskGroup(of: (String, String)?.self) { group in
                for handle in putBack {
                    group.addTask {
                        _ = try? await Self.before(until) { () async throws(AWSError) in
                            try await client.changeMessageVisibility(
                                queue: reply, receiptHandle: handle, seconds: 0, logger: logger)
                        }
                        return nil
                    }
                }
                for handle in delete {
                    group.addTask {
                        do throws(AWSError) {
                            let done: Void? = try await Self.before(until) { () async throws(AWSError) in
                                try await client.deleteMessage(queue: reply, receiptHandle: handle, logger: logger)
                            }
                            return done == nil ? (handle, "SQS did not answer in time") : nil
                        } catch {
                            return (handle, "\(error)")
                        }
                    }
                }
                var undeleted: [String: String] = [:]
                for await case let (handle, why)? in group { undeleted[handle] = why }
                return undeleted
            }
        }
        // Everything the wait does ends by then: 5 s past the deadline for an answer on its way
        // and for settling what it brought.
        let settleBy = deadline + Self.settleSeconds
        var maxMessages = 10
        var lastReceive = false
        /// Whether a receive worked: the queue is there and readable, and a later failure that
        /// may pass (an outage, throttling) is waited out to the deadline.
        var readOnce = false
        /// The last receive that failed after one worked, if none worked since.
        var lastFailure: AWSError?
        while ContinuousClock.now < deadline, !lastReceive {
            let waitSeconds: Int
            (waitSeconds, lastReceive) = Self.receiveWait(left: deadline - ContinuousClock.now)
            let options = SQSClient.ReceiveOptions(
                maxMessages: maxMessages, waitSeconds: waitSeconds,
                visibilitySeconds: 30, attributeNames: ["SentTimestamp"],
                messageAttributeNames: ["taskId", "taskMessageId"])
            let messages: [SQSMessage]
            do throws(AWSError) {
                // An answer on its way at the deadline is waited for (5 s at most): what it holds
                // is hidden from everyone else until released.
                let received = try await Self.before(settleBy) {
                    () async throws(AWSError) -> [SQSMessage] in
                    try await client.receiveMessage(queue: reply, options: options, logger: logger)
                }
                guard let received else { break }
                messages = received
                readOnce = true
                lastFailure = nil
            } catch {
                // Ten large messages (results near `max_message_bytes`, escaped in JSON) can make an answer
                // over the response limit: one at a time, as the delegate's own receives do.
                if error.transportError?.code == .responseTooLarge, maxMessages > 1 {
                    maxMessages = 1
                    lastReceive = false
                    continue
                }
                if readOnce, error.retryable {
                    lastFailure = error
                    let resume = min(ContinuousClock.now + .seconds(1), deadline - .milliseconds(500))
                    if resume > ContinuousClock.now { try? await Task.sleep(until: resume) }
                    continue
                }
                if readOnce {
                    return .failure(
                        "the reply queue \(reply) could no longer be read: \(error); the task \(id) was sent and runs, "
                            + "its result going to that queue: look for it there before sending the task again",
                        status: ExitStatus.unavailable)
                }
                // Found only now, after the send: the task runs, and its result goes to that queue.
                return .failure(
                    "the reply queue \(reply) cannot be read: \(error); the task \(id) was sent and runs, its result "
                        + "going to that queue: if it does not exist, no result can be sent and the task runs again "
                        + "every lease until the task queue's redrive policy moves it; if it does, look for the result "
                        + "there before sending the task again",
                    status: ExitStatus.unavailable)
            }
            var found: (message: SQSMessage, result: TaskResult, text: String)?
            var unopenable: [(message: SQSMessage, error: SealedResultError)] = []
            var putBack: [String] = []
            var copies: [String] = []
            for message in messages {
                guard message.messageAttributes["taskId"]?.stringValue == id else {
                    putBack.append(message.receiptHandle)
                    continue
                }
                // Changed on its way here (a proxy that rewrites bodies): no result of the
                // delegate's, and left on the queue as one that is not a result is.
                guard message.bodyMatchesItsMD5 != false else {
                    strangers.insert(message.messageId)
                    continue
                }
                let text = message.body.trimmingWhitespace()
                // A delegate that names the task message it answered (older ones do not).
                if let sentMessageID, let answered = message.messageAttributes["taskMessageId"]?.stringValue,
                    answered != sentMessageID,
                    !Self.mayAnswerDeduplicatedSend(text, sentAt: message.sentAt, since: deduplicatedSince)
                {
                    earlier.insert(message.messageId)
                    continue
                }
                let result: TaskResult
                switch Self.reading(text, of: id, privateKey: privateKey, open: openSealed) {
                case .result(let taken): result = taken
                case .none:
                    strangers.insert(message.messageId)
                    if privateKey != nil, let other = try? TaskResult.decode(jsonLine: Data(text.utf8)),
                        other.id == id, other.sealed != nil
                    {
                        sealedToAnotherKey.insert(message.messageId)
                    }
                    continue
                case .unopenable(let error):
                    unopenable.append((message, error))
                    continue
                }
                if found == nil {
                    found = (message, result, text)
                } else {
                    copies.append(message.receiptHandle)
                }
            }
            // Others' messages are released, and the result taken and its copies deleted, even
            // past the deadline (5 s more at most, counted from it): left, they would be hidden
            // from whoever waits for them for 30 s, or the result would come back after its lease.
            // (The result taken is printed whatever its delete does.)
            // This task's result that this host's libcrypto could not open: put back to be opened
            // again the first time; failing again (or beside a result that opened), taken as the
            // answer with its copies: the key is this submission's alone, so no other can open it.
            let failedAgain = unopenable.first { failedOpens.contains($0.message.messageId) }
            let takeUnopenable = found != nil || failedAgain != nil
            for failed in unopenable {
                failedOpens.insert(failed.message.messageId)
                if takeUnopenable {
                    copies.append(failed.message.receiptHandle)
                } else {
                    putBack.append(failed.message.receiptHandle)
                }
            }
            let undeleted = await settle(
                putBack: putBack, delete: copies + (found.map { [$0.message.receiptHandle] } ?? []), by: settleBy)
            if let found {
                let outcome = Self.outcome(for: found.result, text: found.text, privateKey: privateKey)
                guard let why = undeleted[found.message.receiptHandle] else { return outcome }
                // Printed all the same; left on the queue, it comes back after its lease and stays
                // until the queue's retention, for anyone who may read the queue.
                return outcome.adding(
                    "warning: the result of \(id) could not be deleted from \(reply) (\(why)); it comes back after "
                        + "its 30 s lease and stays until the queue's retention ends: receive and delete it there, or "
                        + "purge the queue")
            }
            if let failedAgain {
                return .failure(
                    "the result of \(id) came, but \(failedAgain.error.message), twice; only this submission's key could "
                        + "open it, so it is lost (the task ran, if the result was its delegate's)",
                    status: ExitStatus.unavailable)
            }
            // Half a second is left for the last receive, which does not wait.
            let resume = min(ContinuousClock.now + Self.othersOnlyPause, deadline - .milliseconds(500))
            if !putBack.isEmpty, putBack.count == messages.count, resume > ContinuousClock.now {
                try? await Task.sleep(until: resume)
            }
        }
        var seen =
            strangers.isEmpty
            ? "" : "; \(strangers.count) message(s) named \(id) but held no result of it, and were left on the queue"
        if !earlier.isEmpty {
            seen += "; \(earlier.count) result(s) of an earlier submission of \(id) were left on the queue"
        }
        if !sealedToAnotherKey.isEmpty, deduplicatedSince != nil {
            // The same id sent again within 5 minutes is dropped as a duplicate: its result is
            // the first submission's, sealed to that one's key.
            seen +=
                " (a FIFO task queue drops a task sent again with the same id within 5 minutes: the result is "
                + "the first submission's, sealed to its key; send it under a new id)"
        }
        if let lastFailure {
            seen += "; the last receive failed: \(lastFailure)"
        }
        if !failedOpens.isEmpty {
            // Put back to be opened again, and no receive came in time to try: it ran.
            return .failure(
                "the result of \(id) came, but this host's libcrypto could not open it, and there was no time within "
                    + "\(timeout) to try again; it was left on \(reply)\(seen)", status: ExitStatus.unavailable)
        }
        return .failure(
            // Whether a delegate took it up cannot be told from here.
            "no result for \(id) on \(reply) within \(timeout)\(seen); the task is queued or running, and its result "
                + "will come to \(reply)", status: ExitStatus.unavailable)
    }

    /// What a reply message naming the task holds for its waiter.
    enum Reading {
        /// The task's result.
        case result(TaskResult)
        /// No result of the task.
        case none
        /// The task's sealed result, which this host's libcrypto could not open.
        case unopenable(SealedResultError)
    }

    /// Whether a result to another task message may answer a send SQS deduplicated: on a FIFO
    /// queue (`since` given, by AWS's clock), when its result message was sent at or after `since`
    /// (`sentAt`, its `SentTimestamp`: SQS's clock, as its deduplication window is; a result is
    /// sent after its task came). Without `sentAt` (an endpoint that leaves it out), when its task
    /// came to the delegate at or after `since` (its `receivedAt`, readable in a sealed result too,
    /// by the delegate's clock).
    static func mayAnswerDeduplicatedSend(_ text: String, sentAt: Date?, since: Date?) -> Bool {
        guard let since else { return false }
        if let sentAt { return sentAt >= since }
        guard let result = try? TaskResult.decode(jsonLine: Data(text.utf8)) else { return false }
        return result.receivedAt >= since
    }

    /// `text` read as a result of the task `id`: a result line whose id is `id`; with `privateKey`
    /// (`--seal`), one whose sealed result opens with it (the task id is bound in), or a failure
    /// without a result (which carries nothing to seal). An unsealed result, or a success without
    /// one (every success carries a result, sealed under `sealTo`), is no answer to a task that
    /// asked for sealing; a sealed one that this host's libcrypto could not open (`open` gives
    /// an error of kind `hostFailure`) is told apart.
    static func reading(
        _ text: String, of id: String, privateKey: [UInt8]?,
        open: (TaskResult, [UInt8]) throws(SealedResultError) -> TaskResult
    ) -> Reading {
        guard let result = try? TaskResult.decode(jsonLine: Data(text.utf8)), result.id == id else { return .none }
        guard let privateKey else { return .result(result) }
        if result.sealed != nil {
            do {
                _ = try open(result, privateKey)
                return .result(result)
            } catch {
                return error.kind == .hostFailure ? .unopenable(error) : .none
            }
        }
        return result.result == nil && result.status != .succeeded ? .result(result) : .none
    }

    /// Why `task` cannot go to SQS as it is, nil if it can: SQS carries no U+FFFE or U+FFFF (it
    /// refuses the message), so the task's JSON must write them escaped, as the delegate writes its
    /// results. (Other characters it refuses cannot stand unescaped in JSON.) Asked of the task as
    /// given: a `sealTo` or `replyTo` inserted later would move the byte the message names.
    static func refusalForSQS(_ task: Data) -> String? {
        firstNoncharacterForSQS(in: task).map { position in
            "the task holds U+FFFE or U+FFFF (at byte \(position)), which an SQS message cannot carry; write it escaped in the JSON (\\ufffe, \\uffff)"
        }
    }

    /// The byte offset of the first U+FFFE or U+FFFF in UTF-8 `body` (EF BF BE, EF BF BF), nil if
    /// none.
    static func firstNoncharacterForSQS(in body: Data) -> Int? {
        // In place: the task may be a megabyte.
        body.withUnsafeBytes { bytes in
            guard bytes.count >= 3 else { return nil }
            return (0...(bytes.count - 3)).first { index in
                bytes[index] == 0xEF && bytes[index + 1] == 0xBF
                    && (bytes[index + 2] == 0xBE || bytes[index + 2] == 0xBF)
            }
        }
    }
}
