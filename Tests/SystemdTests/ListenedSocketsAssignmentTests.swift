import Systemd
import Testing

/// Which inherited socket is the credentials socket (section 11) and which are task sockets.
@Suite struct ListenedSocketsAssignmentTests {
    typealias Named = ListenedSockets.Named

    @Test func theSocketNamedCredentialsIsTheCredentialsSocket() {
        let sockets = [
            Named(descriptor: 3, name: "credentials", path: "/run/x/credentials.sock"),
            Named(descriptor: 4, name: "secrets-delegate.socket", path: "/run/x/delegate.sock"),
        ]
        #expect(
            ListenedSockets.assign(sockets, credentialsPath: "")
                == ListenedSockets.Assignment(task: 4, taskPath: "/run/x/delegate.sock", credentials: 3))
        // The name wins over a path match.
        let both = [
            Named(descriptor: 3, name: "other", path: "/run/c.sock"),
            Named(descriptor: 4, name: "credentials", path: "/run/elsewhere.sock"),
        ]
        #expect(ListenedSockets.assign(both, credentialsPath: "/run/c.sock").credentials == 4)
    }

    @Test func failingANameTheSocketBoundToTheConfiguredPathIs() {
        let sockets = [
            Named(descriptor: 3, name: "unknown", path: "/run/x/delegate.sock"),
            Named(descriptor: 4, name: "unknown", path: "/run/x/credentials.sock"),
        ]
        #expect(
            ListenedSockets.assign(sockets, credentialsPath: "/run/x/credentials.sock")
                == ListenedSockets.Assignment(task: 3, taskPath: "/run/x/delegate.sock", credentials: 4))
    }

    @Test func withoutEitherTheFirstSocketIsTheTaskSocketAndTheRestAreExtra() {
        let sockets = [
            Named(descriptor: 3, name: "secrets-delegate.socket", path: "/run/x/delegate.sock"),
            Named(descriptor: 4, name: "", path: ""),
        ]
        #expect(
            ListenedSockets.assign(sockets, credentialsPath: "")
                == ListenedSockets.Assignment(
                    task: 3, taskPath: "/run/x/delegate.sock", credentials: nil, extraTask: [sockets[1]]))
        #expect(ListenedSockets.assign(sockets, credentialsPath: "/run/x/none.sock").credentials == nil)
        #expect(ListenedSockets.assign([], credentialsPath: "/run/c.sock") == ListenedSockets.Assignment())
    }

    @Test func socketsAfterTheTaskSocketAreExtraWhereverTheCredentialsSocketIs() {
        let sockets = [
            Named(descriptor: 3, name: "secrets-delegate.socket", path: "/run/x/delegate.sock"),
            Named(descriptor: 4, name: "credentials", path: "/run/x/credentials.sock"),
            Named(descriptor: 5, name: "secrets-delegate.socket", path: "/run/x/extra.sock"),
        ]
        let assignment = ListenedSockets.assign(sockets, credentialsPath: "")
        #expect(
            assignment
                == ListenedSockets.Assignment(
                    task: 3, taskPath: "/run/x/delegate.sock", credentials: 4, extraTask: [sockets[2]]))
        #expect(assignment.ignored == [sockets[2]])
    }

    /// A second socket named credentials (an operator's own socket unit with that
    /// FileDescriptorName=) is never served as the task socket, wherever systemd puts it.
    @Test func aSecondSocketNamedCredentialsIsNeverTheTaskSocket() {
        let sockets = [
            Named(descriptor: 3, name: "credentials", path: "/run/a.sock"),
            Named(descriptor: 4, name: "credentials", path: "/run/b.sock"),
            Named(descriptor: 5, name: "secrets-delegate.socket", path: "/run/secrets-delegate/delegate.sock"),
        ]
        let assignment = ListenedSockets.assign(sockets, credentialsPath: "")
        #expect(
            assignment
                == ListenedSockets.Assignment(
                    task: 5, taskPath: "/run/secrets-delegate/delegate.sock", credentials: 3, extraCredentials: [sockets[1]]))
        #expect(assignment.ignored == [sockets[1]])
    }

    @Test func whatIsNotServedIsListedInDescriptorOrder() {
        let assignment = ListenedSockets.Assignment(
            task: 3, extraTask: [Named(descriptor: 6, name: "b", path: "/b")],
            unusable: [Named(descriptor: 4, name: "a", path: ""), Named(descriptor: 7, name: "c", path: "")])
        #expect(assignment.ignored.map(\.descriptor) == [4, 6, 7])
    }
}
