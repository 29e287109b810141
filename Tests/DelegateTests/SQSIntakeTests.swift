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
}
