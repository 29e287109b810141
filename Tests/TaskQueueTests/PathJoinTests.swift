import Testing

@testable import TaskQueue

/// Spool paths are written into one string of exactly their parts' length.
@Suite struct PathJoinTests {
    @Test(arguments: [
        ("/var/lib/spool", "/new/", "t-1.json", "", ""),
        ("", "", "", "", ""),
        ("a", "", "b", "", "c"),
        ("/srv/späl", "/cur/", "délégué-ü", "/.", "x.result"),
        (String(repeating: "d", count: 300), "/", String(repeating: "n", count: 255), ".", "tmp"),
    ])
    func thePartsFollowEachOther(parts: (String, String, String, String, String)) {
        let joined = String.joining(parts.0, parts.1, parts.2, parts.3, parts.4)
        #expect(joined == parts.0 + parts.1 + parts.2 + parts.3 + parts.4)
        #expect(joined.utf8.count == [parts.0, parts.1, parts.2, parts.3, parts.4].map(\.utf8.count).reduce(0, +))
    }

    @Test func twoPartsAreEnough() {
        #expect(String.joining("/spool", "/done") == "/spool/done")
        #expect(Spool.resultPath(spool: "/s", id: "t-1") == "/s/done/t-1.json")
    }
}
