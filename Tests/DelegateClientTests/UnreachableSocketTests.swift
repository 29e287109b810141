import DelegateClient
import Glibc
import TestSupport
import Testing

/// What a client says when the delegate's socket cannot be reached.
@Suite struct UnreachableSocketTests {
    /// A file or a directory given as the socket is said to be none, whether connect(2) refused it
    /// as a dead socket (ECONNREFUSED: one the caller may write) or as one it may not use (EACCES:
    /// the 0750 spool, for a producer in its group): not "add the user to the group".
    @Test(arguments: [ECONNREFUSED, EACCES, EPERM])
    func aPathThatIsNoSocketIsSaidToBeNone(errno number: Int32) throws {
        let directory = try TemporaryDirectory(prefix: "sd-unreachable")
        let file = directory.path("regular")
        #expect(creat(file, 0o600) >= 0)
        #expect(UnreachableSocket.hint(errno: number, path: directory.url.path).hasPrefix("; it is a directory, not a socket"))
        #expect(UnreachableSocket.hint(errno: number, path: file).hasPrefix("; it is a file, not a socket"))
    }

    /// Without a path to look at, or at a socket, or at nothing, the hint is the errno's own.
    @Test func otherwiseTheHintIsTheErrnos() throws {
        #expect(UnreachableSocket.hint(errno: EACCES).contains("this user may not connect to it"))
        #expect(UnreachableSocket.hint(errno: ECONNREFUSED, path: "/nonexistent/sd.sock").contains("nothing listens on it"))
        #expect(UnreachableSocket.hint(errno: ENOENT, path: "/nonexistent/sd.sock").contains("no socket is there"))
        #expect(UnreachableSocket.status(invalidAddress: true) == 64)
        #expect(UnreachableSocket.status(invalidAddress: false) == 69)
    }

    /// `--socket ""` is named as given, not left as a double space.
    @Test func anEmptyPathIsShownQuoted() {
        struct Empty: Error, CustomStringConvertible { var description: String { "no path" } }
        #expect(
            UnreachableSocket.message(path: "", cause: Empty(), errno: nil)
                == "the delegate's socket \"\" cannot be reached: no path")
    }
}
