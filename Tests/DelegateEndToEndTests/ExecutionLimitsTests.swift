import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// Concurrency and deadlines, against a loopback endpoint that answers slowly.
@Suite struct ExecutionLimitsTests {
    static func secretBody(_ name: String) -> String {
        #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:\#(name)-AbCdEf","Name":"\#(name)","SecretString":"x","VersionId":"v1","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000}"#
    }

    @Test func noMoreThanConcurrencyTasksRunAtOnce() async throws {
        let fixture = try await EndToEndFixture.make()
        try fixture.addStaticIdentity("static")
        // Long enough that a loaded host still starts the next requests while one is answered.
        let delay = Duration.seconds(2)
        let arrivals = Mutex<[ContinuousClock.Instant]>([])
        let server = try LoopbackHTTPServer { request in
            arrivals.withLock { $0.append(.now) }
            return ScriptedResponse(status: 200, body: Self.secretBody("slow"), delay: delay)
        }
        defer { server.stop() }
        let total = 9
        for index in 0..<total {
            try fixture.enqueue(
                fixture.task(
                    id: "slow-\(index)", operation: "getSecretValue", params: ["name": "slow"], selectors: ["lim"],
                    identity: "static"))
        }
        let daemon = try fixture.start(
            configuration: fixture.configuration(
                name: "limited", tags: ["lim"], concurrency: 3, endpoint: server.baseURL),
            name: "limited")
        #expect(await eventually(within: .seconds(60)) { fixture.names(in: "done").count >= total })
        #expect(try await daemon.stop() == .exited(0))
        #expect(fixture.results().values.allSatisfy { $0["status"] as? String == "succeeded" })

        // Each request is answered no sooner than `delay` after it arrived, so these intervals
        // lie inside the real ones: their largest overlap is at most the real concurrency, and
        // a delegate that ignored its limit would overlap all nine.
        let starts = arrivals.withLock { $0 }.sorted()
        #expect(starts.count == total)
        let overlap = starts.map { start in starts.filter { $0 <= start && start < $0 + delay }.count }.max() ?? 0
        #expect(overlap <= 3, "up to \(overlap) requests at once")
        #expect(overlap >= 2, "tasks never ran side by side")
    }

    @Test func aTaskPastItsDeadlineFailsWithDeadlineExceededAndTheDelegateGoesOn() async throws {
        let fixture = try await EndToEndFixture.make()
        try fixture.addStaticIdentity("static")
        let server = try LoopbackHTTPServer { request in
            let slow = String(decoding: request.body, as: UTF8.self).contains("never-answers")
            return ScriptedResponse(status: 200, body: Self.secretBody("x"), delay: slow ? .seconds(20) : .zero)
        }
        defer { server.stop() }
        var late = fixture.task(
            id: "late", operation: "getSecretValue", params: ["name": "never-answers"], selectors: ["dl"],
            identity: "static")
        late["deadlineSeconds"] = 1
        try fixture.enqueue(late)
        try fixture.enqueue(
            fixture.task(
                id: "prompt", operation: "getSecretValue", params: ["name": "quick"], selectors: ["dl"],
                identity: "static"))
        let daemon = try fixture.start(
            configuration: fixture.configuration(name: "deadlines", tags: ["dl"], endpoint: server.baseURL),
            name: "deadlines")
        #expect(await eventually(within: .seconds(90)) { fixture.names(in: "done").count >= 2 })
        #expect(try await daemon.stop() == .exited(0))
        let results = fixture.results()
        #expect(results["late"]?["status"] as? String == "failed")
        let error = results["late"]?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "DeadlineExceeded", "\(String(describing: error))")
        #expect(results["prompt"]?["status"] as? String == "succeeded")
    }
}
