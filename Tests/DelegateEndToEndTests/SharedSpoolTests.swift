import Foundation
import TestSupport
import Testing

/// Two delegates with different tags share one spool, as a fleet does.
@Suite struct SharedSpoolTests {
    /// Which delegates may run a task with these selectors.
    static func eligible(for selectors: [String]) -> Set<String> {
        switch selectors {
        case ["blue"]: ["blue-delegate"]
        case ["green"], [" Green-Delegate "]: ["green-delegate"]
        case ["shared"]: ["blue-delegate", "green-delegate"]
        default: []
        }
    }

    @Test func fiveHundredTasksWithMixedSelectorsEachRunExactlyOnceOnAMatchingDelegate() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let blue = try fixture.start(
            configuration: fixture.configuration(name: "blue-delegate", tags: ["blue", "shared"]),
            name: "blue-delegate")
        let green = try fixture.start(
            configuration: fixture.configuration(name: "green-delegate", tags: ["Green", "SHARED"]),
            name: "green-delegate")

        let selectorKinds: [[String]] = [["blue"], ["green"], ["shared"], [" Green-Delegate "], ["purple"]]
        var expected: [String: Set<String>] = [:]
        var stranded: [String] = []
        for index in 0..<500 {
            let selectors = selectorKinds[index % selectorKinds.count]
            let id = "task-\(index)"
            let task: [String: Any] =
                index % 10 == 0
                ? fixture.task(
                    id: id, operation: "createSecret", params: ["name": "s\(index)", "secretString": "v\(index)"],
                    selectors: selectors)
                : fixture.task(
                    id: id, operation: "getRandomPassword", params: ["passwordLength": 20], selectors: selectors)
            try fixture.enqueue(task)
            let allowed = Self.eligible(for: selectors)
            if allowed.isEmpty { stranded.append("\(id).json") } else { expected[id] = allowed }
        }

        // (All on the one moto pool every suite shares: bounded for a loaded machine.)
        let finished = await eventually(within: .seconds(300)) { fixture.names(in: "done").count >= expected.count }
        #expect(finished, "results: \(fixture.names(in: "done").count) of \(expected.count)")
        // Give a late duplicate a chance to show up before stopping.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await blue.stop() == .exited(0))
        #expect(try await green.stop() == .exited(0))

        let results = fixture.results()
        #expect(Set(results.keys) == Set(expected.keys))
        for (id, allowed) in expected {
            let result = try #require(results[id], "no result for \(id)")
            #expect(result["status"] as? String == "succeeded", "\(id): \(result)")
            let delegate = result["delegate"] as? String ?? ""
            #expect(allowed.contains(delegate), "\(id) ran on \(delegate), allowed: \(allowed)")
        }
        // Each task was run once: one success logged for it across both delegates.
        let logs = blue.stderrText + green.stderrText
        var runs: [String: Int] = [:]
        for line in logs.split(separator: "\n") where line.contains("event=task-succeeded") {
            if let id = line.split(separator: " ").first(where: { $0.hasPrefix("task_id=") })?.dropFirst(8) {
                runs[String(id), default: 0] += 1
            }
        }
        #expect(runs.count == expected.count)
        #expect(runs.values.allSatisfy { $0 == 1 }, "ran more than once: \(runs.filter { $0.value > 1 })")
        // Both delegates took part, and the tasks no delegate matches stay queued, untouched.
        #expect(Set(results.values.compactMap { $0["delegate"] as? String }) == ["blue-delegate", "green-delegate"])
        #expect(fixture.names(in: "new") == stranded.sorted())
        #expect(fixture.names(in: "cur/blue-delegate").isEmpty && fixture.names(in: "cur/green-delegate").isEmpty)
    }
}
