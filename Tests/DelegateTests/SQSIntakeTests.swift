import AWSCore
import Foundation
import HTTP
import Logging
import SQS
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// The SQS intake in-process against a scripted SQS endpoint: queue errors, backoff, recovery.
@Suite struct SQSIntakeTests {
    final class Calls: Sendable {
        let byQueue = Mutex<[String: Int]>([:])
        func next(_ queue: String) -> Int {
            byQueue.withLock { counts in
                counts[queue, default: 0] += 1
                return counts[queue] ?? 0
            }
        }
    }

    @Test func aFailingQueueIsBackedOffLoggedOnceAndRecoversWhileAnotherQueueKeepsWorking() async throws {
        let calls = Calls()
        let server = try LoopbackHTTPServer { request in
            let broken = request.bodyText.contains("broken")
            let call = calls.next(broken ? "broken" : "fine")
            if broken, call <= 3 {
                // moto's answer to a JSON request without permission: XML.
                return ScriptedResponse(
                    status: 403, headers: ["Content-Type": "text/xml"],
                    body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                        + "<Message>not allowed to ReceiveMessage</Message></Error><RequestId>r-1</RequestId></ErrorResponse>")
            }
            return ScriptedResponse(
                status: 200, headers: ["Content-Type": "application/x-amz-json-1.0"], body: "{}",
                delay: .milliseconds(50))
        }
        defer { server.stop() }
        let broken = "\(server.baseURL)/123456789012/broken"
        let fine = "\(server.baseURL)/123456789012/fine"
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [broken, fine], region: "us-east-1", endpoint: server.baseURL, waitSeconds: 1,
            visibilitySeconds: 5)

        let recorder = LogRecorder()
        let sleeper = RecordingSleeper(pause: .milliseconds(10))
        let status = SQSQueueStatus()
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: sleeper, status: status, logger: recorder.logger())
        defer { http.shutdown() }

        let running = Task { await intake.run() }
        let recovered = await eventually(within: .seconds(90)) {
            recorder.records.contains { $0.contains("event=queue-recovered") }
        }
        #expect(recovered)
        // The other queue was received from meanwhile.
        let fineReceives = await eventually(within: .seconds(90)) { (calls.byQueue.withLock { $0["fine"] } ?? 0) >= 3 }
        #expect(fineReceives)
        intake.dispatcher.stopIntake()
        #expect(await intake.waitUntilSettled(timeout: .seconds(90)))
        await running.value

        let failing = recorder.records.filter { $0.contains("event=queue-failing") }
        #expect(failing.count == 1)
        #expect(failing.first?.contains("queue_url=\(broken)") == true)
        #expect(failing.first?.contains("error_code=AccessDeniedException") == true)
        #expect(!recorder.allText.contains("unit-secret"))
        #expect(recorder.records.filter { $0.contains("event=queue-recovered") }.count == 1)
        // Backoff: 0.5 s doubling, times 0.75 (random 0.5), one wait per failure.
        let backoffs = sleeper.delays.withLock { $0 }.filter { $0 != SQSIntake.supervisionInterval }
        #expect(backoffs == [.milliseconds(375), .milliseconds(750), .milliseconds(1500)])
        let snapshot = status.snapshot
        #expect(snapshot[broken]?.error == nil)
        #expect(snapshot[fine]?.error == nil)
        #expect(snapshot[fine]?.lastReceive != nil)
    }

    /// A queue removed and added again by two reloads gets a loop again at once, beside the old
    /// one still finishing the task it received (its result's send takes 45 s here; up to an hour
    /// in life), not only when that ends.
    @Test func aQueueRemovedAndAddedAgainIsReceivedFromWhileTheOldLoopFinishes() async throws {
        let receives = Mutex<[ContinuousClock.Instant]>([])
        let handed = Mutex(false)
        let base = Mutex("")
        let server = try LoopbackHTTPServer { request in
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            switch request.headers["X-Amz-Target"] ?? "" {
            case "AmazonSQS.ReceiveMessage":
                receives.withLock { $0.append(.now) }
                guard handed.withLock({ first in defer { first = true }; return !first }) else {
                    return ScriptedResponse(status: 200, headers: json, body: "{}", delay: .milliseconds(20))
                }
                // A task that is not valid, whose rejection goes to the reply queue.
                let task = #"{"id":"t-bad","replyTo":"\#(base.withLock { $0 })/123456789012/results"}"#
                let message: [String: Any] = ["MessageId": "m-1", "ReceiptHandle": "rh-1", "Body": task]
                let body = try! JSONSerialization.data(withJSONObject: ["Messages": [message]])
                return ScriptedResponse(status: 200, headers: json, body: String(decoding: body, as: UTF8.self))
            case let target where target.hasPrefix("AmazonSQS.SendMessage"):
                return ScriptedResponse(status: 200, headers: json, body: #"{"MessageId":"r-1"}"#, delay: .seconds(45))
            default:
                return ScriptedResponse(status: 200, headers: json, body: "{}")
            }
        }
        defer { server.stop() }
        let tasks = "\(server.baseURL)/123456789012/tasks"
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [tasks], region: "us-east-1", endpoint: server.baseURL, waitSeconds: 1, visibilitySeconds: 30)
        let current = Mutex(section)
        let recorder = LogRecorder()
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(pause: .milliseconds(10)),
            settings: { current.withLock { $0 } }, logger: recorder.logger())
        defer { http.shutdown() }
        base.withLock { $0 = server.baseURL }

        let running = Task { await intake.run() }
        // The task was received and its result is being sent (for 45 s: the windows below, 20 s
        // each, fit in it however loaded the host).
        #expect(await eventually(within: .seconds(30)) { intake.inHand.current == 1 })
        current.withLock { $0.queueURLs = [] }
        // The old loop receives no more.
        #expect(await eventually(within: .seconds(20)) {
            let before = receives.withLock { $0.count }
            try? await Task.sleep(for: .milliseconds(200))
            return receives.withLock { $0.count } == before
        })
        let readded = ContinuousClock.now
        current.withLock { $0.queueURLs = [tasks] }
        // (A loaded machine once took over 3 s.)
        #expect(await eventually(within: .seconds(20)) { receives.withLock { $0.last.map { $0 > readded } ?? false } },
            "no receive within 20 s of the queue coming back")
        #expect(intake.inHand.current == 1, "the old loop's task still runs")
        intake.dispatcher.stopIntake()
        #expect(await intake.waitUntilSettled(timeout: .seconds(120)))
        await running.value
    }

    /// A state that flips at a producer's will (bad replyTo tasks among good ones) is logged at the
    /// rate limiter's pace, not once per flip; the suppressed lines are counted.
    @Test func aFlippingQueueStateIsRateLimited() throws {
        let recorder = LogRecorder()
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [], region: "us-east-1", endpoint: "http://127.0.0.1:9", waitSeconds: 1, visibilitySeconds: 5)
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(
            section: section, sleeper: RecordingSleeper(), logger: recorder.logger())
        defer { http.shutdown() }
        let queue = try SQSQueueURL("http://127.0.0.1:9/123456789012/tasks")
        let denied = AWSError(kind: .service, code: .accessDenied, message: "not allowed to send there")
        for _ in 0..<20 {
            intake.record(denied, of: "SendMessage", queue: queue, logger: recorder.logger())
            intake.record(nil, of: "SendMessage", queue: queue, logger: recorder.logger())
        }
        let lines = recorder.records.filter { $0.contains("event=queue-failing") || $0.contains("event=queue-recovered") }
        #expect(lines.count == intake.logLimiter.burst, "\(lines)")
        #expect(intake.logLimiter.suppressedCount(key: "sqs-queue-state \(queue.url) SendMessage") == 40 - lines.count)
        // The status still tells the state as it is now.
        #expect(intake.status.snapshot[queue.url]?.error == nil)
    }

    /// Two outcomes recorded at once (the entries of one batch's answer, each task recording its
    /// own) log their changes in the order they made them: a failure whose line is still being
    /// written when a success ends it is followed, not preceded, by the recovery, so the
    /// journal's last word is the state `status` shows.
    @Test(.timeLimit(.minutes(1))) func stateChangesRecordedAtOnceAreLoggedInTheirOrder() async throws {
        let events = Mutex<[String]>([])
        let entered = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let held = Mutex(false)
        let logger = Logger(label: "test") { _ in
            ClosureLogHandler { _, _, metadata in
                guard case .string(let event)? = metadata["event"] else { return }
                // The first failing line takes a while to write: it lands once the success was
                // recorded meanwhile.
                if event == "queue-failing", held.withLock({ first in defer { first = true }; return !first }) {
                    entered.signal()
                    proceed.wait()
                }
                events.withLock { $0.append(event) }
            }
        }
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [], region: "us-east-1", endpoint: "http://127.0.0.1:9", waitSeconds: 1, visibilitySeconds: 5)
        let (intake, http) = try SQSScriptedEndpoint.makeIntake(section: section, sleeper: RecordingSleeper(), logger: logger)
        defer { http.shutdown() }
        let queue = try SQSQueueURL("http://127.0.0.1:9/123456789012/tasks")
        let invalid = AWSError(kind: .service, code: AWSError.Code(rawValue: "ReceiptHandleIsInvalid"), message: "the lease lapsed")

        async let failed: Void = offPool { intake.record(invalid, of: "DeleteMessage", queue: queue, logger: logger) }
        try await offPool { entered.wait() }
        let recording = DispatchSemaphore(value: 0)
        async let succeeded: Void = offPool {
            recording.signal()
            intake.record(nil, of: "DeleteMessage", queue: queue, logger: logger)
        }
        // The success is on its way into record (without the ordering, it logs within this time).
        try await offPool { recording.wait() }
        try await Task.sleep(for: .milliseconds(300))
        proceed.signal()
        _ = try await (failed, succeeded)

        #expect(intake.status.snapshot[queue.url]?.error == nil)
        #expect(events.withLock { $0 } == ["queue-failing", "queue-recovered"])
    }
}
