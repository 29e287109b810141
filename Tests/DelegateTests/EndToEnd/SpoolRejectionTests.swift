import Foundation
import TestSupport
import Testing

/// Invalid task files in the spool get a rejected result and are removed; the delegate goes on.
@Suite struct SpoolRejectionTests {
    @Test func invalidTaskFilesAreRejectedRemovedAndTheNextTaskRuns() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        try fixture.enqueue(raw: Data("{ not json".utf8), fileName: "garbled.json")
        try fixture.enqueue(
            raw: try EndToEndFixture.line(
                fixture.task(id: "mismatch", operation: "getRandomPassword", selectors: ["s"])),
            fileName: "named-by-file.json")
        try fixture.enqueue(
            raw: Data(#"{"id":"huge","pad":""#.utf8) + Data(repeating: 0x78, count: 1 << 20) + Data(#""}"#.utf8),
            fileName: "huge.json")
        try fixture.enqueue(fixture.task(id: "after", operation: "getRandomPassword", selectors: ["s"]))
        let daemon = try fixture.start(
            configuration: fixture.configuration(name: "spooler", tags: ["s"]), name: "spooler")
        #expect(await eventually { fixture.names(in: "done").count >= 4 })
        #expect(try await daemon.stop() == .exited(0))

        let results = fixture.results()
        #expect(results["garbled"]?["status"] as? String == "rejected")
        #expect((results["garbled"]?["error"] as? [String: Any])?["code"] as? String == "InvalidTask")
        // The task's own id names its result, whatever the file was called.
        #expect(results["mismatch"]?["status"] as? String == "succeeded")
        #expect(results["named-by-file"] == nil)
        #expect(results["huge"]?["status"] as? String == "rejected")
        let hugeError = results["huge"]?["error"] as? [String: Any]
        let hugeMessage = hugeError?["message"] as? String ?? ""
        #expect(hugeMessage.contains(String(1 << 20)), "\(String(describing: hugeError))")
        #expect(results["after"]?["status"] as? String == "succeeded")
        #expect(fixture.names(in: "new").isEmpty)
        #expect(fixture.names(in: "cur/spooler").isEmpty)
    }

    @Test func aTaskWhoseIDNamesAnUncollectedResultIsRefusedAndTheResultKept() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let done = fixture.spool + "/done"
        try FileManager.default.createDirectory(atPath: done, withIntermediateDirectories: true)
        let first = Data(#"{"id":"dup","status":"succeeded","marker":"first"}"#.utf8)
        try first.write(to: URL(fileURLWithPath: done + "/dup.json"))
        // Same id by file name, and by the id inside a file of another name.
        try fixture.enqueue(fixture.task(id: "dup", operation: "getRandomPassword", selectors: ["s"]))
        try fixture.enqueue(
            fixture.task(id: "dup", operation: "getRandomPassword", selectors: ["s"]), fileName: "again.json")
        // An id that would make a hidden result file.
        try fixture.enqueue(
            fixture.task(id: ".hidden", operation: "getRandomPassword", selectors: ["s"]), fileName: "visible.json")
        let daemon = try fixture.start(
            configuration: fixture.configuration(name: "spooler", tags: ["s"]), name: "spooler")
        #expect(
            await eventually {
                fixture.names(in: "new").isEmpty && fixture.names(in: "cur/spooler").isEmpty
                    && fixture.names(in: "done").contains("visible.json")
                    && daemon.stderrLines.filter { $0.contains("DuplicateTask") }.count >= 2
            })
        #expect(try await daemon.stop() == .exited(0))

        #expect(try Data(contentsOf: URL(fileURLWithPath: done + "/dup.json")) == first, "the first result is kept")
        #expect(fixture.names(in: "done") == ["dup.json", "visible.json"])
        let refusals = daemon.stderrLines.filter { $0.contains("DuplicateTask") }
        #expect(refusals.count == 2, "\(daemon.stderrText)")
        #expect(refusals.allSatisfy { $0.contains("task_id=dup") && $0.contains("warning") }, "\(refusals)")
        #expect(!daemon.stderrText.contains("task succeeded"), "a refused task is not run")

        let hidden = fixture.results()["visible"]
        #expect(hidden?["status"] as? String == "rejected")
        #expect((hidden?["error"] as? [String: Any])?["code"] as? String == "InvalidTask")
    }
}
