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

    /// A directory whose name is not UTF-8 is kept byte for byte (a repaired name would not exist).
    @Test func keepsADirectoryNameThatIsNotUTF8ByteForByte() {
        let latin1: [UInt8] = Array("/opt/caf".utf8) + [0xE9]
        #expect(
            FullBinary.candidates(frontPath: latin1 + Array("/bin/secrets-delegate".utf8)) == [
                latin1 + Array("/libexec/secrets-delegate/secrets-delegated".utf8),
                latin1 + Array("/bin/secrets-delegated".utf8),
            ])
        #expect(
            FullBinary.candidates(frontPath: latin1 + Array("/secrets-delegate".utf8)) == [
                latin1 + Array("/secrets-delegated".utf8)
            ])
    }

    /// Without an absolute path of its own (no /proc), only the installed path: never one relative
    /// to the working directory, where anybody may have put a `secrets-delegated`.
    @Test(arguments: [nil, "secrets-delegate", "bin/secrets-delegate", ""])
    func isOnlyTheInstalledPathWithoutAnAbsolutePath(frontPath: String?) {
        #expect(FullBinary.candidates(frontPath: frontPath) == ["/usr/libexec/secrets-delegate/secrets-delegated"])
    }
}
