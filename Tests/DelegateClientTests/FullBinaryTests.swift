import DelegateClient
import Testing

@Suite struct FullBinaryTests {
    @Test func isInLibexecFromTheFrontsDirectoryElseNextToIt() {
        #expect(
            FullBinary.candidates(frontPath: "/usr/bin/secrets-delegate") == [
                "/usr/libexec/secrets-delegate/secrets-delegated", "/usr/bin/secrets-delegated",
            ])
        #expect(FullBinary.candidates(frontPath: "/w/.build/debug/secrets-delegate").last == "/w/.build/debug/secrets-delegated")
    }

    /// Without an absolute path of its own (no /proc), only the installed path: never one relative
    /// to the working directory, where anybody may have put a `secrets-delegated`.
    @Test(arguments: [nil, "secrets-delegate", "bin/secrets-delegate", ""])
    func isOnlyTheInstalledPathWithoutAnAbsolutePath(frontPath: String?) {
        #expect(FullBinary.candidates(frontPath: frontPath) == ["/usr/libexec/secrets-delegate/secrets-delegated"])
    }
}
