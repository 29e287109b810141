import DelegateClient
import Testing

@Suite struct FullBinaryTests {
    @Test func isNextToTheFrontElseInLibexec() {
        #expect(
            FullBinary.candidates(frontPath: "/usr/bin/secrets-delegate") == [
                "/usr/bin/secrets-delegated", "/usr/bin/../libexec/secrets-delegate/secrets-delegated",
            ])
        #expect(FullBinary.candidates(frontPath: "/w/.build/debug/secrets-delegate").first == "/w/.build/debug/secrets-delegated")
    }
}
