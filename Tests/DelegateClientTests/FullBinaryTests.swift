import DelegateClient
import Testing

@Suite struct FullBinaryTests {
    @Test func isInLibexecForAFrontInABinDirectoryElseNextToIt() {
        #expect(
            FullBinary.candidates(frontPath: "/usr/bin/secrets-delegate") == [
                "/usr/libexec/secrets-delegate/secrets-delegated", "/usr/bin/secrets-delegated",
            ])
        #expect(
            FullBinary.candidates(frontPath: "/opt/sd/bin/secrets-delegate").first
                == "/opt/sd/libexec/secrets-delegate/secrets-delegated")
        #expect(FullBinary.candidates(frontPath: "/w/.build/debug/secrets-delegate") == ["/w/.build/debug/secrets-delegated"])
        // A copy in /tmp/x never looks in /tmp/libexec, which anybody may create.
        #expect(FullBinary.candidates(frontPath: "/tmp/x/secrets-delegate") == ["/tmp/x/secrets-delegated"])
    }

    /// Without an absolute path of its own (no /proc), only the installed path: never one relative
    /// to the working directory, where anybody may have put a `secrets-delegated`.
    @Test(arguments: [nil, "secrets-delegate", "bin/secrets-delegate", ""])
    func isOnlyTheInstalledPathWithoutAnAbsolutePath(frontPath: String?) {
        #expect(FullBinary.candidates(frontPath: frontPath) == ["/usr/libexec/secrets-delegate/secrets-delegated"])
    }
}
