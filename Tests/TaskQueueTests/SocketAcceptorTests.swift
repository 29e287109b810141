import Glibc
import Testing

@testable import TaskQueue

/// An accepted peer's descriptor is non-blocking (the server's sources never block a queue) and
/// close-on-exec from the moment it exists.
@Suite struct SocketAcceptorTests {
    @Test func anAcceptedSocketIsNonBlockingAndClosedOnExec() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("a.sock")
        let listener = try UnixSocketAddress.makeSocket(nonBlocking: true)
        defer { close(listener) }
        let bound = try UnixSocketAddress.withAddress(path) { address, length in bind(listener, address, length) }
        try #require(bound == 0 && listen(listener, 4) == 0)
        let client = try RawClient(path: path)
        defer { client.close() }

        let (fd, number) = SocketAcceptor.systemAccept(listener)
        try #require(fd >= 0, "errno \(number)")
        defer { close(fd) }
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)

        // Nothing more waits: the next accept says so rather than blocking.
        let (none, again) = SocketAcceptor.systemAccept(listener)
        #expect(none == -1 && (again == EAGAIN || again == EWOULDBLOCK))
    }
}
