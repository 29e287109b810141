import AWSCore
import Foundation
import HTTP
import Logging
@testable import SQS
import TaskQueue
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// One queue's receive loop against a scripted SQS endpoint: how it backs off and how it sizes
/// its receives.
@Suite struct SQSQueuePollerTests {
    /// A poller for `name` on `server`, its intake, and the HTTP client to shut down.
    static func poller(
        _ name: String, on server: LoopbackHTTPServer, sleeper: RecordingSleeper, visibilitySeconds: Int = 5,
        waitSeconds: Int = 1, logger: Logger? = nil, endpointOverride: Bool = true
    ) throws -> (SQSQueuePoller, SQSIntake, () -> Void) {
        let url = "\(server.baseURL)/123456789012/\(name)"
        // Without the override, calls go to the queue URL's own host (the server too), and a
        // replyTo elsewhere than there or Amazon SQS is refused.
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [url], region: "us-east-1", endpoint: endpointOverride ? server.baseURL : "",
            waitSeconds: waitSeconds,
            visibilitySeconds: visibilitySeconds)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(section: section, sleeper: sleeper, logger: quiet)
        let poller = SQSQueuePoller(queue: try SQSQueueURL(url), intake: intake, logger: logger ?? quiet)
        return (poller, intake, { http.shutdown() })
    }

    /// A stop ends a receive backoff at once instead of waiting it out (up to 30 s).
    @Test func aStopEndsABackoff() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body: #"{"__type":"com.amazonaws.sqs#AccessDenied","message":"not allowed"}"#)
        }
        defer { server.stop() }
        // Every sleep takes two minutes unless it is cut short.
        let sleeper = RecordingSleeper(pause: .seconds(120))
        let (poller, intake, shutdown) = try Self.poller("denied", on: server, sleeper: sleeper)
        defer { shutdown() }
        #expect(
            await Self.endsSoonAfterTheStop(poller, intake, sleeper),
            "the loop was still backing off 20 s after the stop")
    }

    /// With short polling (`wait_seconds = 0`), a stop ends the pause after an empty answer too.
    @Test func aStopEndsAShortPollPause() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let sleeper = RecordingSleeper(pause: .seconds(120))
        let (poller, intake, shutdown) = try Self.poller("quiet", on: server, sleeper: sleeper, waitSeconds: 0)
        defer { shutdown() }
        #expect(
            await Self.endsSoonAfterTheStop(poller, intake, sleeper), "the loop was still pausing 20 s after the stop")
        #expect(sleeper.delays.withLock { $0 }.first == SQSQueuePoller.shortPollPause)
    }

    /// Runs `poller` until it first sleeps (each sleep takes `sleeper`'s two minutes unless cut
    /// short), stops the intake, and tells whether the loop ended within 20 s.
    static func endsSoonAfterTheStop(_ poller: SQSQueuePoller, _ intake: SQSIntake, _ sleeper: RecordingSleeper) async
        -> Bool
    {
        let running = Task { await poller.run() }
        defer { running.cancel() }
        guard await eventually(within: .seconds(90), { !sleeper.delays.withLock { $0 }.isEmpty }) else { return false }
        intake.dispatcher.stopIntake()
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await running.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(20))
                running.cancel()  // so that the group does not wait out the loop's sleep
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// What ends a loop's wait for a slot while every slot is busy (as long as the tasks holding
    /// them run): a reload that removes the queue ends the loop when it gets one; a stop ends it
    /// at once, without the slots being freed (tasks past the stop's grace period may hold them),
    /// so the stop does not wait out its SQS budget for a loop with no message in hand. Either
    /// way nothing more is received.
    enum SlotWaitEnd: CaseIterable { case queueRemoved, stop }

    @Test(.timeLimit(.minutes(1)), arguments: SlotWaitEnd.allCases)
    func aLoopWaitingForASlotReceivesNothingMore(_ end: SlotWaitEnd) async throws {
        let receives = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            if request.headers["X-Amz-Target"] == "AmazonSQS.ReceiveMessage" { receives.withLock { $0 += 1 } }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let reloadable = try ReloadablePoller(queue: "waiting", on: server)
        defer { reloadable.http.shutdown() }
        let (intake, poller) = (reloadable.intake, reloadable.poller)
        let held = intake.dispatcher.reserveFreeSlots(upTo: 1 << 20)
        #expect(held > 0)
        let running = Task { await poller.run() }
        #expect(await eventually { intake.dispatcher.tasksWaitingForASlot() == 1 })
        switch end {
        case .queueRemoved:
            reloadable.removeQueues()
            intake.dispatcher.releaseSlots(held)
            await running.value
            #expect(intake.dispatcher.slotsInUse() == 0)
        case .stop:
            intake.dispatcher.stopIntake()
            await running.value
            #expect(intake.dispatcher.slotsInUse() == held, "no slot taken")
            intake.dispatcher.releaseSlots(held)
        }
        #expect(receives.withLock { $0 } == 0)
    }

    /// A reload that removes the queue while a receive waits: the messages that receive brings
    /// are made visible again at once for the delegates that still receive from it, not run,
    /// answered or deleted here; one whose result this delegate already sent is deleted, as ever.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func messagesOfAReceiveThatOutlivedItsQueueAreLeft(answeredBefore: Bool) async throws {
        let receives = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            guard request.headers["X-Amz-Target"] == "AmazonSQS.ReceiveMessage" else {
                return ScriptedResponse(status: 200, headers: json, body: "{}")
            }
            let first = receives.withLock { count in
                count += 1
                return count == 1
            }
            let message = #"{"MessageId":"m-1","ReceiptHandle":"rh-1","Body":"{\"id\":\"t1\"}"}"#
            return ScriptedResponse(
                status: 200, headers: json, body: first ? #"{"Messages":[\#(message)]}"# : "{}",
                delay: first ? .seconds(2) : .zero)
        }
        defer { server.stop() }
        let reloadable = try ReloadablePoller(queue: "moved", on: server)
        defer { reloadable.http.shutdown() }
        let (intake, poller, url) = (reloadable.intake, reloadable.poller, reloadable.url)
        if answeredBefore {
            intake.answered.remember(.init(queueURL: url, messageID: "m-1"), now: .now, keptFor: .seconds(600))
        }
        let running = Task { await poller.run() }
        #expect(await eventually { receives.withLock { $0 } == 1 })
        reloadable.removeQueues()
        await running.value
        let calls = server.recordedRequests.dropFirst().map { ($0.headers["X-Amz-Target"] ?? "", $0.bodyText) }
        #expect(!calls.contains { $0.0 == "AmazonSQS.ReceiveMessage" }, "received again: \(calls)")
        #expect(!calls.contains { $0.0.hasPrefix("AmazonSQS.SendMessage") }, "answered: \(calls)")
        let deletes = calls.filter { $0.0.hasPrefix("AmazonSQS.DeleteMessage") }
        let releases = calls.filter { $0.0 == "AmazonSQS.ChangeMessageVisibility" }
        if answeredBefore {
            #expect(releases.isEmpty && !deletes.isEmpty && deletes.allSatisfy { $0.1.contains("rh-1") }, "\(calls)")
        } else {
            #expect(deletes.isEmpty && releases.count == 1, "\(calls)")
            #expect(releases.first.map { $0.1.contains(#""VisibilityTimeout":0"#) && $0.1.contains("rh-1") } == true)
        }
        #expect(intake.dispatcher.slotsInUse() == 0)
    }

    /// After an answer too large for the response cap the loop asks for one message at a time,
    /// and for ten again after ``SQSQueuePoller/singleMessageReceives`` receives.
    @Test func aTooLargeAnswerLowersTheBatchForAWhile() async throws {
        let asked = Mutex<[Int]>([])
        let server = try LoopbackHTTPServer { request in
            let body = request.bodyText
            let count = body.firstRange(of: #""MaxNumberOfMessages":"#).flatMap { range in
                Int(body[range.upperBound...].prefix { $0.isNumber })
            }
            let number = asked.withLock { list in
                list.append(count ?? -1)
                return list.count
            }
            if number == 1 {
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"],
                    body: #"{"Messages":[{"Body":""# + String(repeating: "x", count: 5 << 20) + #""}]}"#)
            }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller("large", on: server, sleeper: RecordingSleeper())
        defer { shutdown() }
        let running = Task { await poller.run() }
        let enough = SQSQueuePoller.singleMessageReceives + 3
        #expect(await eventually(within: .seconds(60)) { asked.withLock { $0.count } >= enough })
        intake.dispatcher.stopIntake()
        await running.value

        let counts = asked.withLock { $0 }
        #expect(counts.first == 10)
        // The too large answer, then the receives that asked for one, then ten again.
        #expect(counts.dropFirst().prefix(SQSQueuePoller.singleMessageReceives).allSatisfy { $0 == 1 }, "\(counts)")
        #expect(
            counts.dropFirst(1 + SQSQueuePoller.singleMessageReceives).prefix(2).allSatisfy { $0 == 10 }, "\(counts)")
    }

    /// A message whose result was sent comes back (its lease ran out while its delete was on its
    /// way): it is deleted with the receipt handle it came back with, the only one SQS honours
    /// now, not the one its run kept.
    @Test func anAnsweredMessageThatCameBackIsDeletedWithItsNewHandle() async throws {
        let deleted = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            if request.headers["X-Amz-Target"] == "AmazonSQS.DeleteMessage" {
                deleted.withLock { $0.append(request.bodyText) }
            }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller("answered", on: server, sleeper: RecordingSleeper())
        defer { shutdown() }
        let key = AnsweredMessages.Key(queueURL: "\(server.baseURL)/123456789012/answered", messageID: "m-1")
        #expect(intake.running.begin(key, receiptHandle: "handle-of-the-run"))
        intake.answered.remember(key, now: .now, keptFor: .seconds(60))

        await poller.handle(
            SQSMessage(messageId: "m-1", receiptHandle: "handle-it-came-back-with", body: "{}"), lease: 5)

        let bodies = deleted.withLock { $0 }
        #expect(bodies.count == 1)
        #expect(bodies.first?.contains("handle-it-came-back-with") == true, "\(bodies)")
    }

    /// An answer with more messages than asked for (no SQS does that; a hostile endpoint could
    /// send thousands): those asked for are handed out first, and at most a receive's worth of
    /// the rest made visible again, not a call for each while the slots are held.
    @Test func messagesPastThoseAskedForAreReleasedAtMostABatch() async throws {
        let receives = Mutex(0)
        let releases = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            switch request.headers["X-Amz-Target"] {
            case "AmazonSQS.ReceiveMessage":
                let count = receives.withLock { received in
                    received += 1
                    return received == 1 ? 60 : 0
                }
                let messages = (0..<count).map {
                    #"{"MessageId":"m-\#($0)","ReceiptHandle":"rh-\#($0)-","Body":"not a task"}"#
                }
                return ScriptedResponse(
                    status: 200, headers: json, body: #"{"Messages":[\#(messages.joined(separator: ","))]}"#)
            case "AmazonSQS.ChangeMessageVisibility":
                releases.withLock { $0.append(request.bodyText) }
            default:
                break
            }
            return ScriptedResponse(status: 200, headers: json, body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller("extras", on: server, sleeper: RecordingSleeper())
        defer { shutdown() }
        let running = Task { await poller.run() }
        // The loop went on to receive again.
        #expect(await eventually(within: .seconds(60)) { receives.withLock { $0 } >= 2 })
        running.cancel()
        await running.value
        let asked = SQSQueuePoller.maxBatch
        let released = releases.withLock { $0 }.filter { body in
            (asked..<60).contains { body.contains("rh-\($0)-") } && body.contains(#""VisibilityTimeout":0"#)
        }
        #expect(released.count == SQSQueuePoller.maxBatch, "\(released.count) extras released")
        #expect(intake.status.snapshot["\(server.baseURL)/123456789012/extras"]?.received == asked)
    }

    /// A task deleted unrun (no `replyTo`, no `result_queue_url`: nowhere to answer) has its
    /// journal line, its only trace, even after a flood of the queue's invalid messages used up
    /// the rate limit of the queue's `InvalidTask` lines.
    @Test func aTaskDeletedUnrunIsLoggedAfterAFloodOfInvalidMessages() async throws {
        let deleted = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            if request.headers["X-Amz-Target"]?.hasPrefix("AmazonSQS.DeleteMessage") == true {
                deleted.withLock { $0.append(request.bodyText) }
            }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let recorder = LogRecorder()
        let (poller, _, shutdown) = try Self.poller(
            "no-results", on: server, sleeper: RecordingSleeper(), logger: recorder.logger(), endpointOverride: false)
        defer { shutdown() }
        for index in 0..<(LogRateLimiter().burst + 3) {
            await poller.handle(
                SQSMessage(messageId: "m-bad-\(index)", receiptHandle: "rh-bad-\(index)", body: "not a task"), lease: 5)
        }
        // For this delegate (its host name is one of its tags), with no replyTo.
        let data = TaskFixtures.task(operation: "getRandomPassword", params: nil) { fields in
            fields["id"] = "unrun-1"
            var connector = TaskFixtures.connector
            connector["delegateSelectors"] = ["sqs-scripted"]
            fields["connector"] = .object(connector)
        }
        let task = String(decoding: data, as: UTF8.self)
        await poller.handle(SQSMessage(messageId: "m-unrun", receiptHandle: "rh-unrun", body: task), lease: 5)
        // And one whose replyTo this delegate may not send to (no Amazon SQS host, none of its
        // queues'): not run, and with no result queue either, deleted unrun too.
        await poller.handle(
            SQSMessage(messageId: "m-refused", receiptHandle: "rh-refused", body: Self.refusedReplyTo(id: "unrun-2")),
            lease: 5)

        let lines = recorder.records
        #expect(
            lines.contains { $0.contains("it was deleted unrun") && $0.contains("task_id=unrun-1") },
            "\(lines.joined(separator: "\n"))")
        #expect(
            lines.contains { $0.contains("the task was not run") && $0.contains("task_id=unrun-2") },
            "\(lines.joined(separator: "\n"))")
        #expect(deleted.withLock { $0 }.contains { $0.contains("rh-unrun") }, "the task's message is deleted")
        #expect(deleted.withLock { $0 }.contains { $0.contains("rh-refused") }, "the refused task's message is deleted")
    }

    /// A message whose body does not match its MD5OfBody (changed on its way) is neither run nor
    /// answered nor deleted: it is left to come back after its lease, and the queue's redrive
    /// policy; the same body with its MD5 runs.
    @Test func aBodyThatDoesNotMatchItsMD5IsNotRun() async throws {
        let calls = Mutex<[String]>([])
        let server = try LoopbackHTTPServer { request in
            calls.withLock { $0.append(request.headers["X-Amz-Target"] ?? request.path) }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let recorder = LogRecorder()
        let (poller, _, shutdown) = try Self.poller(
            "no-results", on: server, sleeper: RecordingSleeper(), logger: recorder.logger(), endpointOverride: false)
        defer { shutdown() }
        let body = Self.refusedReplyTo(id: "md5-1")
        let wrong = String(repeating: "0", count: 32)
        await poller.handle(
            SQSMessage(messageId: "m-md5", receiptHandle: "rh-md5", body: body, md5OfBody: wrong), lease: 5)
        let lines = recorder.records.filter { $0.contains("does not match its MD5OfBody") }
        #expect(lines.count == 1, "\(recorder.records)")
        #expect(lines.first?.hasPrefix("error ") == true)
        #expect(!recorder.allText.contains("task_id=md5-1"), "not judged as a task")
        #expect(calls.withLock { $0 }.isEmpty, "nothing sent: no result, no delete, no release")
        // The same body as SQS stored it: judged (here refused for its replyTo, and deleted).
        await poller.handle(
            SQSMessage(
                messageId: "m-md5-ok", receiptHandle: "rh-md5-ok", body: body, md5OfBody: SQSBodyDigest.hexMD5(of: body)
            ),
            lease: 5)
        #expect(recorder.records.contains { $0.contains("task_id=md5-1") })
        #expect(calls.withLock { $0 }.contains { $0.contains("DeleteMessage") })
    }

    /// A task whose replyTo this delegate may not send to, with no result queue either, is deleted
    /// unrun with one line, its rejection: not also "its result has nowhere to go".
    @Test func aRefusedReplyToWithNowhereElseToAnswerIsLoggedOnce() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let recorder = LogRecorder()
        let (poller, _, shutdown) = try Self.poller(
            "no-results", on: server, sleeper: RecordingSleeper(), logger: recorder.logger(), endpointOverride: false)
        defer { shutdown() }
        await poller.handle(
            SQSMessage(messageId: "m-once", receiptHandle: "rh-once", body: Self.refusedReplyTo(id: "unrun-once")),
            lease: 5)
        let lines = recorder.records.filter { $0.contains("task_id=unrun-once") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("the task was not run") == true, "\(lines)")
    }

    /// A task for this delegate whose replyTo it may not send to (no Amazon SQS host, none of its
    /// queues').
    static func refusedReplyTo(id: String) -> String {
        let task = TaskFixtures.task(operation: "getRandomPassword", params: nil) { fields in
            fields["id"] = .string(id)
            fields["replyTo"] = "https://queue.example.com/123456789012/results"
            var connector = TaskFixtures.connector
            connector["delegateSelectors"] = ["sqs-scripted"]
            fields["connector"] = .object(connector)
        }
        return String(decoding: task, as: UTF8.self)
    }

    /// A lease extension that hangs is given up after a third of the lease and tried again soon,
    /// not waited on for the client's timeout (15 s here, a 3 s lease): the lease is kept.
    @Test func aHungLeaseExtensionIsGivenUpAndTriedAgain() async throws {
        let extensions = Mutex<[ContinuousClock.Instant]>([])
        let server = try LoopbackHTTPServer { request in
            guard request.headers["X-Amz-Target"] == "AmazonSQS.ChangeMessageVisibility" else {
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
            }
            let number = extensions.withLock { list in
                list.append(.now)
                return list.count
            }
            return ScriptedResponse(
                status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}",
                delay: number == 1 ? .seconds(30) : .zero)
        }
        defer { server.stop() }
        let sleeper = RecordingSleeper.sleepingAsAsked()
        let (poller, _, shutdown) = try Self.poller("leased", on: server, sleeper: sleeper, visibilitySeconds: 3)
        defer { shutdown() }
        let message = SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "{}")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let started = ContinuousClock.now
        let beating = Task { await poller.heartbeat(message, leases: GrantedLease(3), logger: quiet) }
        #expect(await eventually(within: .seconds(90)) { extensions.withLock { $0.count } >= 3 })
        beating.cancel()
        await beating.value

        let times = extensions.withLock { $0 }.map { $0 - started }
        // Due at 1 s (a third of 3 s); hung, given up 1 s later (at 2 s), tried again 1 s after
        // that (3 s), then a third of the lease after the extension (4 s). Each is at least so
        // long after the start whatever the machine's load (a request only arrives after it was
        // due). Waiting on the hung call would have put the second at 30 s or later (its answer's
        // delay); the upper bound is loose for a machine running other tests at once.
        #expect(times.count >= 3, "\(times); sleeps \(sleeper.delays.withLock { $0 })")
        if times.count >= 3 {
            // (Less 50-100 ms for timers that fire a little early.)
            #expect(times[0] >= .milliseconds(950), "\(times)")
            #expect(times[1] >= .milliseconds(2900) && times[1] - times[0] < .seconds(20), "\(times)")
            #expect(times[2] >= .milliseconds(3900), "\(times)")
        }
    }

    /// Extensions that never answer: each is given up within what is left of the lease, the lapse
    /// is logged once, and extending goes on (the message is still this delegate's if no other
    /// received it meanwhile).
    @Test func aLeaseThatRanOutIsLoggedOnceAndExtendingGoesOn() async throws {
        let extensions = Mutex<[ContinuousClock.Instant]>([])
        let server = try LoopbackHTTPServer { request in
            if request.headers["X-Amz-Target"] == "AmazonSQS.ChangeMessageVisibility" {
                extensions.withLock { $0.append(.now) }
            }
            return ScriptedResponse(
                status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}", delay: .seconds(30))
        }
        defer { server.stop() }
        let (poller, _, shutdown) = try Self.poller(
            "lapsing", on: server, sleeper: RecordingSleeper.sleepingAsAsked(), visibilitySeconds: 3)
        defer { shutdown() }
        let recorder = LogRecorder()
        let message = SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "{}")
        let beating = Task { await poller.heartbeat(message, leases: GrantedLease(3), logger: recorder.logger()) }
        #expect(await eventually(within: .seconds(90)) { extensions.withLock { $0.count } >= 4 })
        beating.cancel()
        await beating.value

        let lapses = recorder.records.filter { $0.contains("lease of an SQS task message ran out") }
        #expect(lapses.count == 1, "\(recorder.records)")
        #expect(lapses.first?.hasPrefix("warning") == true)
    }

    /// Extensions SQS keeps refusing: tried again every 2 s while the lease runs, then, once it ran
    /// out (only a new receipt handle can succeed), twice as long after each failure up to a third
    /// of the lease; one that succeeds brings back every third and a new lease, and a second
    /// lapse backs off from 2 s again. Timed by a clock that moves only with the heartbeat's
    /// sleeps; SQS grants the 28th extension only.
    @Test func extensionsRefusedAfterTheLeaseRanOutBackOff() async throws {
        let extensions = Mutex(0)
        let granted = 28
        let server = try LoopbackHTTPServer { request in
            guard request.headers["X-Amz-Target"] == "AmazonSQS.ChangeMessageVisibility" else {
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
            }
            let number = extensions.withLock { count in
                count += 1
                return count
            }
            guard number != granted else {
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
            }
            return ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body:
                    #"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"The receipt handle has expired."}"#
            )
        }
        defer { server.stop() }
        let sleeper = RecordingSleeper(pause: .milliseconds(1))
        let (poller, intake, shutdown) = try Self.poller(
            "backing-off", on: server, sleeper: sleeper, visibilitySeconds: 60)
        defer { shutdown() }
        let started = ContinuousClock.now
        var timed = intake
        timed.monotonicNow = { started + sleeper.delays.withLock { $0.reduce(.zero, +) } }
        let heartbeat = SQSQueuePoller(queue: poller.queue, intake: timed, logger: poller.logger)
        let message = SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "{}")
        let recorder = LogRecorder()
        let beating = Task { await heartbeat.heartbeat(message, leases: GrantedLease(60), logger: recorder.logger()) }
        // Refused at 20 s, then every 2 s to 58 s; the lease ran out at 60 s: 2, 4, 8, 16, then
        // 20 (a third of the lease) until the 28th, at 150 s, is granted: a lease to 210 s.
        let firstLease = [Duration.seconds(20)] + Array(repeating: .seconds(2), count: 20)
        let firstLapse: [Duration] = [
            .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(20), .seconds(20), .seconds(20),
        ]
        // Granted: a third of the lease, refused at 170 s, every 2 s to 208 s, run out at 210 s:
        // from 2 s again.
        let secondLease = [Duration.seconds(20)] + Array(repeating: .seconds(2), count: 20)
        let secondLapse: [Duration] = [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(20)]
        let expected = firstLease + firstLapse + secondLease + secondLapse
        #expect(await eventually(within: .seconds(60)) { sleeper.delays.withLock { $0.count } >= expected.count })
        beating.cancel()
        await beating.value

        let delays = sleeper.delays.withLock { $0 }
        #expect(Array(delays.prefix(expected.count)) == expected, "\(delays)")
        #expect(extensions.withLock { $0 } >= expected.count - 1)
        // Each lease that ran out is said (the message may run on another delegate too).
        let lapses = recorder.records.filter { $0.contains("lease of an SQS task message ran out") }
        #expect(lapses.count == 2, "\(recorder.records)")
    }

    /// SQS refusing the old receipt handle once the lease ran out is that message's fate, not the
    /// queue failing: `status` and `STATUS=` show no error for it (recorded, it stayed until some
    /// later extension succeeded, long after the queue worked again). The same refusal while the
    /// lease runs is shown; within a few seconds of its end (SQS's lease began before the
    /// heartbeat's count of it), it is the lapse's.
    @Test(arguments: [(61, false), (38, false), (0, true)])
    func aHandleRefusedAfterTheLeaseRanOutIsNoQueueError(suspendedSeconds: Int, shown: Bool) async throws {
        let extensions = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            guard request.headers["X-Amz-Target"] == "AmazonSQS.ChangeMessageVisibility" else {
                return ScriptedResponse(
                    status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
            }
            extensions.withLock { $0 += 1 }
            return ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body:
                    #"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"Value rh-1 for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."}"#
            )
        }
        defer { server.stop() }
        let sleeper = RecordingSleeper(pause: .milliseconds(1))
        let (poller, intake, shutdown) = try Self.poller(
            "lapsed-handle", on: server, sleeper: sleeper, visibilitySeconds: 60)
        defer { shutdown() }
        // A clock that moves only with the heartbeat's sleeps, and a host suspended for a while once
        // the heartbeat began: its first extension (at 20 s) is asked for after the lease ran out
        // (61 s), or 2 s before (38 s).
        let started = ContinuousClock.now
        let asked = Mutex(0)
        var timed = intake
        timed.monotonicNow = {
            let suspended: Duration = asked.withLock { $0 += 1; return $0 } > 1 ? .seconds(suspendedSeconds) : .zero
            return started + suspended + sleeper.delays.withLock { $0.reduce(.zero, +) }
        }
        let heartbeat = SQSQueuePoller(queue: poller.queue, intake: timed, logger: poller.logger)
        let message = SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "{}")
        let recorder = LogRecorder()
        let beating = Task { await heartbeat.heartbeat(message, leases: GrantedLease(60), logger: recorder.logger()) }
        #expect(await eventually(within: .seconds(60)) { extensions.withLock { $0 } >= 3 })
        beating.cancel()
        await beating.value

        let error = intake.status.snapshot[poller.queue.url]?.error
        let failing = recorder.records.filter { $0.contains("event=queue-failing") }
        if !shown {
            #expect(error == nil, "\(String(describing: error))")
            #expect(failing.isEmpty, "\(failing)")
            if suspendedSeconds > 60 {
                #expect(recorder.records.contains { $0.contains("lease of an SQS task message ran out") })
            }
        } else {
            #expect(error?.contains("ChangeMessageVisibility: InvalidParameterValue") == true, "\(String(describing: error))")
            #expect(failing.count == 1, "\(recorder.records)")
        }
    }

    /// The pause after the nth refusal since a lapse: 2 s doubling, never more than the period,
    /// nor less than 2 s's worth (unless the period is shorter).
    @Test func theRetryPauseAfterALapseDoublesUpToAThirdOfTheLease() {
        let pauses = (1...8).map { SQSQueuePoller.retryPauseAfterLapse(failures: $0, period: .seconds(100)) }
        #expect(pauses == [2, 4, 8, 16, 32, 64, 100, 100].map { Duration.seconds($0) })
        #expect(SQSQueuePoller.retryPauseAfterLapse(failures: 1, period: .seconds(1)) == .seconds(1))
        #expect(SQSQueuePoller.retryPauseAfterLapse(failures: 10_000, period: .seconds(14_400)) == .seconds(14_400))
    }

    /// An extension that fails once the message's result was sent (it lost the race with the
    /// message's delete) is no queue failure; the same failure before that is one.
    @Test func anExtensionThatFailsAfterTheResultWasSentIsNoQueueFailure() async throws {
        let extensions = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            if request.headers["X-Amz-Target"] == "AmazonSQS.ChangeMessageVisibility" {
                extensions.withLock { $0 += 1 }
                return ScriptedResponse(
                    status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                    body:
                        #"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"Message does not exist or is not available for visibility timeout change"}"#
                )
            }
            return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller(
            "settling", on: server, sleeper: RecordingSleeper.sleepingAsAsked(), visibilitySeconds: 3)
        defer { shutdown() }
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let queueURL = "\(server.baseURL)/123456789012/settling"
        func extensionError(answered: Bool, id: String) async -> String? {
            let message = SQSMessage(messageId: id, receiptHandle: "rh-\(id)", body: "{}")
            if answered {
                intake.answered.remember(
                    AnsweredMessages.Key(queueURL: queueURL, messageID: id), now: .now, keptFor: .seconds(60))
            }
            let before = extensions.withLock { $0 }
            let beating = Task { await poller.heartbeat(message, leases: GrantedLease(3), logger: quiet) }
            #expect(
                await eventually(within: .seconds(60)) { extensions.withLock { $0 } >= before + 2 },
                "the lease was not extended")
            beating.cancel()
            await beating.value
            return intake.status.snapshot[queueURL]?.errors["ChangeMessageVisibility"]
        }
        #expect(await extensionError(answered: true, id: "m-sent") == nil)
        let error = await extensionError(answered: false, id: "m-running")
        #expect(error?.contains("InvalidParameterValue") == true, "\(error ?? "no error recorded")")
    }

    /// A result that cannot be sent names the queue it was sent to (the result queue, a task's
    /// `replyTo`), on the `queue-failing` line and in `status`: the task queue it is counted under
    /// works, and an operator told only of that would look for the fault there.
    @Test func aFailedResultSendNamesTheResultQueue() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(
                status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
                body:
                    #"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#
            )
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller("tasks", on: server, sleeper: RecordingSleeper())
        defer { shutdown() }
        let recorder = LogRecorder()
        let queueURL = "\(server.baseURL)/123456789012/tasks"
        let resultQueueURL = "\(server.baseURL)/123456789012/results-gone"
        let result = TaskResult(
            id: "t-send", status: .succeeded, operation: "getRandomPassword", connectorId: "c", delegate: "d",
            receivedAt: Date(), finishedAt: Date(), attempts: 1)
        let message = SQSMessage(messageId: "m-send", receiptHandle: "rh-send", body: "{}")
        await poller.reply(
            result, to: try SQSQueueURL(resultQueueURL), for: message, leases: GrantedLease(5),
            logger: recorder.logger())

        let failing = try #require(recorder.records.first { $0.contains("event=queue-failing") }, "\(recorder.records)")
        #expect(
            failing.contains(
                "SendMessage: QueueDoesNotExist (to \(resultQueueURL)): The specified queue does not exist."),
            "\(failing)")
        #expect(failing.contains("result_queue_url=\(resultQueueURL)"), "\(failing)")
        #expect(failing.contains("queue_url=\(queueURL)"), "\(failing)")
        let counted = intake.status.snapshot[queueURL]
        #expect(counted?.resultSendFailures == 1)
        #expect(
            counted?.errors["SendMessage"]?.hasPrefix("SendMessage: QueueDoesNotExist (to \(resultQueueURL)): ") == true
        )
        // STATUS= shows a queue's errors' first 200 bytes: the code, and the queue it was sent to,
        // however long its URL (here as long as Amazon's for a long queue name).
        let longURL = "https://sqs.eu-central-1.amazonaws.com/123456789012/secrets-delegate-results-for-the-ci-fleet"
        intake.record(
            AWSError(kind: .service, code: AWSError.Code(rawValue: "AccessDenied"), message: "not authorized to send"),
            of: "SendMessage", queue: try SQSQueueURL(queueURL), sentTo: longURL, logger: recorder.logger())
        let summary = try #require(SQSQueueStatus.failingSummary(intake.status.snapshot), "\(intake.status.snapshot)")
        #expect(summary.contains("SendMessage: AccessDenied (to \(longURL))"), "\(summary)")
    }

    /// A result not sent because the stop's time ran out (its handler cancelled) is no failure of
    /// the queue's: no `queue-failing`, no `resultSendFailures` (an alert on an ordinary slow stop).
    @Test func aResultCutOffByTheStopIsNoQueueFailure() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller("stopping", on: server, sleeper: RecordingSleeper())
        defer { shutdown() }
        let recorder = LogRecorder()
        let queueURL = "\(server.baseURL)/123456789012/stopping"
        let result = TaskResult(
            id: "t-stop", status: .failed, operation: "getSecretValue", connectorId: "c", delegate: "d",
            receivedAt: Date(), finishedAt: Date(), attempts: 1)
        let message = SQSMessage(messageId: "m-stop", receiptHandle: "rh-stop", body: "{}")
        let replying = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await poller.reply(
                result, to: try? SQSQueueURL(queueURL), for: message, leases: GrantedLease(5), logger: recorder.logger()
            )
        }
        await replying.value
        #expect(intake.status.snapshot[queueURL]?.resultSendFailures ?? 0 == 0)
        #expect(intake.status.snapshot[queueURL]?.errors["SendMessage"] == nil)
        #expect(!recorder.allText.contains("queue-failing"), "\(recorder.records)")
        #expect(recorder.allText.contains("the stop's time ran out"), "\(recorder.records)")
        #expect(server.requestsServed == 0, "nothing was sent, nor deleted")

        // Nor is a release the stop's time cut off.
        let releasing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await intake.release(
                receiptHandle: "rh-stop", on: try SQSQueueURL(queueURL), afterSeconds: 0, logger: recorder.logger())
        }
        #expect(try await releasing.value == false)
        #expect(intake.status.snapshot[queueURL]?.errors["ChangeMessageVisibility"] == nil)
        #expect(!recorder.allText.contains("queue-failing"), "\(recorder.records)")
    }

    /// A `Cancelled` that the heartbeat did not cause (here: the HTTP client shut down) is a
    /// failed extension, recorded and tried again, not the end of extending.
    @Test func aCancelledErrorFromElsewhereDoesNotEndTheHeartbeat() async throws {
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}")
        }
        defer { server.stop() }
        let (poller, intake, shutdown) = try Self.poller(
            "shut", on: server, sleeper: RecordingSleeper.sleepingAsAsked(), visibilitySeconds: 3)
        shutdown()
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let ended = Mutex(false)
        let message = SQSMessage(messageId: "m-1", receiptHandle: "rh-1", body: "{}")
        let beating = Task {
            await poller.heartbeat(message, leases: GrantedLease(3), logger: quiet)
            ended.withLock { $0 = true }
        }
        let queueURL = "\(server.baseURL)/123456789012/shut"
        let recorded = await eventually(within: .seconds(30)) {
            intake.status.snapshot[queueURL]?.errors["ChangeMessageVisibility"] != nil
        }
        #expect(recorded)
        #expect(!ended.withLock { $0 }, "the heartbeat ended on a Cancelled it did not cause")
        beating.cancel()
        await beating.value
        #expect(ended.withLock { $0 })
    }
}

/// An SQS intake on a loopback server with the queue `name` configured, whose settings a test
/// changes as a reload would, and a poller of that queue.
struct ReloadablePoller {
    let url: String
    let intake: SQSIntake
    let http: CurlHTTPClient
    let poller: SQSQueuePoller
    private let settings: SQSSettingsHolder

    init(queue name: String, on server: LoopbackHTTPServer) throws {
        url = "\(server.baseURL)/123456789012/\(name)"
        let settings = SQSSettingsHolder(
            DelegateConfiguration.SQSSection(
                queueURLs: [url], region: "us-east-1", endpoint: server.baseURL, waitSeconds: 1, visibilitySeconds: 5))
        self.settings = settings
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: settings.current, sleeper: RecordingSleeper(), settings: { settings.current }, logger: quiet)
        poller = SQSQueuePoller(queue: try SQSQueueURL(url), intake: intake, logger: quiet)
    }

    /// A reload that takes every queue away.
    func removeQueues() { settings.removeQueues() }
}

final class SQSSettingsHolder: Sendable {
    private let state: Mutex<DelegateConfiguration.SQSSection>
    init(_ section: DelegateConfiguration.SQSSection) { state = Mutex(section) }
    var current: DelegateConfiguration.SQSSection { state.withLock { $0 } }
    func removeQueues() { state.withLock { $0.queueURLs = [] } }
    func update(_ change: (inout DelegateConfiguration.SQSSection) -> Void) { state.withLock { change(&$0) } }
}
