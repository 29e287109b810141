import Testing

@testable import TaskQueue

/// Which names the spool takes for tasks, judged by their bytes.
@Suite struct SpoolNameTests {
    @Test(arguments: [
        ("t.json", true), ("task-1.json", true), ("a\u{0600}.json", true), ("é.json", true),
        (".json", false), ("x.json.tmp", false), (".hidden.json", false), ("t.JSON", false), ("t.jso", false),
        ("a/b.json", false), ("a\u{0}b.json", false), ("json", false), ("", false), ("t.json ", false),
    ])
    func taskFileNames(name: String, isTask: Bool) {
        #expect(SpoolName.isTaskFileName(name) == isTask, "\(name.debugDescription)")
    }

    /// At most `maximumTaskFileNameBytes` bytes, counted as UTF-8.
    @Test func theLongestName() {
        let limit = SpoolName.maximumTaskFileNameBytes
        #expect(SpoolName.isTaskFileName(String(repeating: "a", count: limit - 5) + ".json"))
        #expect(!SpoolName.isTaskFileName(String(repeating: "a", count: limit - 4) + ".json"))
        // 2 bytes each: one fewer fits.
        #expect(!SpoolName.isTaskFileName(String(repeating: "é", count: (limit - 4) / 2) + ".json"))
    }
}
