import DelegateClient
import Foundation
import Testing

@Suite struct TaskIDTests {
    @Test func isThePrefixAndALowercaseVersion4UUID() throws {
        let id = TaskID.random(prefix: "get-")
        #expect(id.hasPrefix("get-"))
        let uuid = String(id.dropFirst(4))
        let parsed = try #require(UUID(uuidString: uuid), "\(uuid) is not a UUID")
        #expect(parsed.uuidString.lowercased() == uuid)
        let characters = Array(uuid)
        #expect(characters[14] == "4", "version")
        #expect("89ab".contains(characters[19]), "variant")
    }

    @Test func differsEveryTime() {
        let ids = Set((0..<1000).map { _ in TaskID.random(prefix: "") })
        #expect(ids.count == 1000)
    }
}
