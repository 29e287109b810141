import Foundation
import Glibc
import Logging
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

/// Answers each line with `{"echo":<line>}` and counts the lines it saw.
final class EchoHandler: Sendable {
    let calls = Atomic<Int>(0)
    let running = Atomic<Int>(0)
    let mostRunningAtOnce = Atomic<Int>(0)
    let delay: Duration
    let padding: Int

    init(delay: Duration = .zero, padding: Int = 0) {
        self.delay = delay
        self.padding = padding
    }

    var handler: SocketServer.Handler {
        { line, connection in
            self.calls.add(1, ordering: .relaxed)
            let now = self.running.add(1, ordering: .relaxed).newValue
            self.mostRunningAtOnce.max(now, ordering: .relaxed)
            if self.delay > .zero { try? await Task.sleep(for: self.delay) }
            self.running.subtract(1, ordering: .relaxed)
            var reply = Data(#"{"echo":"#.utf8)
            reply.append(line)
            if self.padding > 0 {
                reply.append(Data(#","pad":"\#(String(repeating: "p", count: self.padding))""#.utf8))
            }
            reply.append(Data("}".utf8))
            return reply
        }
    }
}

/// Runs the python client as `nobody` (uid/gid 65534, no supplementary groups) and returns what it
/// received before the server closed the connection (with `firstLineOnly`, its first line, not
/// waiting for a close); bound first to the abstract name `boundTo`.
func runAsNobody(
    socket path: String, gid: UInt32 = 65534, groups: [UInt32] = [], boundTo: String? = nil, firstLineOnly: Bool = false
) async throws -> String {
    let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        if sys.argv[2] != "-":
            s.bind("\\0" + sys.argv[2])
        s.connect(sys.argv[1])
        try:
            s.sendall(b'{"id":"from-nobody"}\\n')
        except OSError:
            pass
        data = b""
        try:
            while not data.endswith(b"\\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            # Wait for the close (or a second line that must not come).
            chunk = b"" if sys.argv[3] == "1" else s.recv(65536)
            data += chunk
        except OSError as error:
            data += ("<%s>" % type(error).__name__).encode()
        sys.stdout.write(data.decode())
        """
    let outcome = try await ChildProcess.run(
        "/usr/bin/setpriv",
        [
            "--reuid=65534", "--regid=\(gid)",
            groups.isEmpty ? "--clear-groups" : "--groups=\(groups.map(String.init).joined(separator: ","))",
            "/usr/bin/python3", "-c", script, path, boundTo ?? "-", firstLineOnly ? "1" : "0",
        ])
    #expect(outcome.termination == .exited(0))
    return outcome.output
}

@Suite struct SocketServerTests {
    func startServer(
        _ dir: TestDirectory, policy: PeerPolicy = PeerPolicy(), limits: SocketServer.Limits = .init(),
        mode: UInt16 = 0o660, logger: Logger = quietLogger, handler: @escaping SocketServer.Handler
    ) throws -> (SocketServer, String) {
        let path = dir.file("d.sock")
        let server = SocketServer(
            listener: .path(path, mode: mode), policy: policy, limits: limits, logger: logger, handler: handler)
        try server.start()
        return (server, path)
    }

    @Test func ownUIDGetsRepliesAndTheSocketHasMode0660() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(dir, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        #expect(try mode(of: path) == 0o660)
        let client = try SocketClient.connect(path: path)
        try client.send(Data(#"{"id":"1"}"#.utf8))
        try client.send(Data(#"{"id":"2"}"#.utf8))
        let replies = [
            try await client.nextLine(timeout: .seconds(90)), try await client.nextLine(timeout: .seconds(90)),
        ]
        #expect(
            Set(replies.compactMap { $0.map { String(decoding: $0, as: UTF8.self) } })
                == [#"{"echo":{"id":"1"}}"#, #"{"echo":{"id":"2"}}"#])
        // A client that half-closes still gets the answer to what it sent.
        try client.send(Data(#"{"id":"3"}"#.utf8))
        client.finishSending()
        #expect(try await client.nextLine(timeout: .seconds(90)) == Data(#"{"echo":{"id":"3"}}"#.utf8))
        #expect(try await client.nextLine(timeout: .seconds(90)) == nil)
    }

    /// A line read after the owner's handler calls ended (its task cancelled) cannot be
    /// answered: the connection closes rather than stay open waiting for a call that never runs.
    @Test func aLineReadAfterTheHandlerCallsEndedClosesItsConnection() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(dir, handler: echo.handler)
        defer { server.shutdown() }
        let running = Task { await server.run() }
        running.cancel()
        await running.value
        let client = try SocketClient.connect(path: path)
        try client.send(Data(#"{"id":"late"}"#.utf8))
        #expect(try await client.nextLine(timeout: .seconds(30)) == nil)
        #expect(await eventually(within: .seconds(30)) { server.connectionCount == 0 })
        #expect(echo.calls.load(ordering: .relaxed) == 0)
    }

    @Test func aLastLineWithoutANewlineIsAnsweredAtTheEndOfTheStream() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(dir, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try RawClient(path: path)
        client.write(#"{"id":"1"}"# + "\n" + #"{"id":"last"}"#)
        client.finishSending()
        let received = try await offPool { client.readUntilClosed() }
        #expect(
            Set(received.split(separator: "\n").map(String.init))
                == [#"{"echo":{"id":"1"}}"#, #"{"echo":{"id":"last"}}"#], "got: \(received)")
        // Trailing blanks are still not a line.
        let blank = try RawClient(path: path)
        blank.write(#"{"id":"2"}"# + "\n  ")
        blank.finishSending()
        #expect(try await offPool { blank.readUntilClosed() } == #"{"echo":{"id":"2"}}"# + "\n")
        #expect(echo.calls.load(ordering: .relaxed) == 3)
    }

    /// A reply is one protocol line whatever the handler returned: raw line breaks in it become
    /// spaces, so it can never be read as two replies.
    @Test func aReplyWithLineBreaksIsSentAsOneLine() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (server, path) = try startServer(dir) { _, _ in Data("{\n\"a\":1\r}".utf8) }
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try RawClient(path: path)
        client.write(#"{"id":"1"}"# + "\n")
        client.finishSending()
        #expect(try await offPool { client.readUntilClosed() } == "{ \"a\":1 }\n")
    }

    @Test func aStaleSocketFileIsReplacedButALiveServerIsNot() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (first, path) = try startServer(dir, handler: EchoHandler().handler)
        let second = SocketServer(listener: .path(path), logger: quietLogger, handler: EchoHandler().handler)
        #expect(throws: TaskQueueError.self) { try second.start() }
        first.shutdown()
        // Leave a stale socket file behind, as a crashed daemon would.
        let stale = try UnixSocketAddress.makeSocket(nonBlocking: false)
        _ = try UnixSocketAddress.withAddress(path) { bind(stale, $0, $1) }
        close(stale)
        let third = SocketServer(listener: .path(path), logger: quietLogger, handler: EchoHandler().handler)
        #expect(try await answer(from: third, at: path, to: "{}") == Data(#"{"echo":{}}"#.utf8))
    }

    @Test func adoptsAnAlreadyListeningDescriptor() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("act.sock")
        let fd = try UnixSocketAddress.makeSocket(nonBlocking: false)
        #expect(try UnixSocketAddress.withAddress(path) { bind(fd, $0, $1) } == 0)
        #expect(listen(fd, 16) == 0)
        let server = SocketServer(listener: .fileDescriptor(fd), logger: quietLogger, handler: EchoHandler().handler)
        #expect(try await answer(from: server, at: path, to: "1") == Data(#"{"echo":1}"#.utf8))
    }

    /// Starts `server`, sends `line` from a client at `path`, and returns the line it answers;
    /// the server is shut down after.
    func answer(from server: SocketServer, at path: String, to line: String) async throws -> Data? {
        try server.start()
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this call
        let client = try SocketClient.connect(path: path)
        try client.send(Data(line.utf8))
        return try await client.nextLine(timeout: .seconds(90))
    }

    @Test func aPeerOutsideThePolicyIsRefusedBeforeAnythingIsRead() async throws {
        let (received, calls) = try await nobodysAnswer(PeerPolicy(allowedUsers: ["daemon"], allowedGroups: ["daemon"]))
        #expect(received.hasPrefix(#"{"error":"PeerNotAllowed""#), "got: \(received)")
        #expect(!received.contains("echo"))
        #expect(calls == 0)
    }

    @Test func aPeerIsAllowedThroughItsGroup() async throws {
        // nobody's primary group is nogroup (65534); the user is not listed.
        let (received, calls) = try await nobodysAnswer(
            PeerPolicy(allowedUsers: ["daemon"], allowedGroups: ["nogroup"]))
        #expect(received.hasPrefix(#"{"echo":{"id":"from-nobody"}}"#), "got: \(received)")
        #expect(calls == 1)
    }

    /// The groups a peer holds are the kernel's word (SO_PEERGROUPS), not the user database's: a
    /// supplementary group the process holds admits it though no group file lists its user in
    /// it (a unit's SupplementaryGroups=), and a group the file lists but the process does not
    /// hold (65534, nobody's primary group there, with another gid and no supplementary group)
    /// does not.
    @Test func aPeerIsInTheGroupsItsProcessHolds() async throws {
        let held = try await nobodysAnswer(PeerPolicy(allowedGroups: ["4242"]), groups: [4242])
        #expect(held.received.hasPrefix(#"{"echo":{"id":"from-nobody"}}"#), "got: \(held.received)")
        #expect(PeerPolicy.groups(ofUID: 65534)?.contains(65534) == true)
        let dropped = try await nobodysAnswer(PeerPolicy(allowedGroups: ["65534"]), gid: 4243)
        #expect(dropped.received.hasPrefix(#"{"error":"PeerNotAllowed""#), "got: \(dropped.received)")
        #expect(dropped.calls == 0)
        // More groups than the first SO_PEERGROUPS buffer holds (64): the list is read whole.
        let many = try await nobodysAnswer(PeerPolicy(allowedGroups: ["4400"]), groups: Array(4301...4400))
        #expect(many.received.hasPrefix(#"{"echo":{"id":"from-nobody"}}"#), "got: \(many.received)")
    }

    @Test func aPeerIsAllowedThroughItsUserNameOrNumber() async throws {
        for users in [["nobody"], ["65534"]] {
            let (received, _) = try await nobodysAnswer(PeerPolicy(allowedUsers: users))
            #expect(received.hasPrefix(#"{"echo":{"id":"from-nobody"}}"#), "\(users) got: \(received)")
        }
    }

    /// What a client running as nobody reads from an echo server with `policy` on a socket anyone
    /// may connect to, and how many lines the handler was given.
    func nobodysAnswer(_ policy: PeerPolicy, gid: UInt32 = 65534, groups: [UInt32] = []) async throws
        -> (received: String, calls: Int)
    {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(dir, policy: policy, mode: 0o666, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this call
        let received = try await runAsNobody(socket: path, gid: gid, groups: groups)
        return (received, echo.calls.load(ordering: .relaxed))
    }

    @Test func anUpdatedPolicyDecidesForPeersThatConnectAfterIt() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(
            dir, policy: PeerPolicy(allowedUsers: ["daemon"]), mode: 0o666, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        #expect(try await runAsNobody(socket: path).hasPrefix(#"{"error":"PeerNotAllowed""#))

        server.update(policy: PeerPolicy(allowedUsers: ["nobody"]))
        let admitted = try await runAsNobody(socket: path)
        #expect(admitted.hasPrefix(#"{"echo":{"id":"from-nobody"}}"#), "got: \(admitted)")

        server.update(policy: PeerPolicy(allowedGroups: ["daemon"]))
        #expect(try await runAsNobody(socket: path).hasPrefix(#"{"error":"PeerNotAllowed""#))
        #expect(echo.calls.load(ordering: .relaxed) == 1)
    }

    /// A reload that takes a connected peer off the lists cuts its open connection off too: no
    /// more tasks are taken on it (it closes once those it started are answered).
    @Test(.timeLimit(.minutes(1))) func anUpdatedPolicyEndsTheConnectionOfAPeerItNoLongerAllows() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(
            dir, policy: PeerPolicy(allowedUsers: ["nobody"]), mode: 0o666, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let go = "/tmp/sd-policy-go-\(UUID().uuidString)"
        defer { unlink(go) }
        // Connects, sends one task and reads its answer, waits for `go`, sends another, and
        // prints all it read until the connection ends.
        let script = """
            import os, socket, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(20)
            s.connect(sys.argv[1])
            s.sendall(b'{"id":"before"}\\n')
            data = b""
            while not data.endswith(b"\\n"):
                data += s.recv(65536)
            deadline = time.time() + 50
            while not os.path.exists(sys.argv[2]):
                if time.time() > deadline:
                    sys.stdout.write(data.decode() + "<no-go>")
                    sys.exit(1)
                time.sleep(0.02)
            try:
                s.sendall(b'{"id":"after"}\\n')
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError as error:
                data += ("<%s>" % type(error).__name__).encode()
            sys.stdout.write(data.decode())
            """
        async let client = ChildProcess.run(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path, go])
        #expect(await eventually { echo.calls.load(ordering: .relaxed) == 1 })
        server.update(policy: PeerPolicy(allowedUsers: ["daemon"]))
        #expect(await eventually { server.connectionCount == 0 }, "the connection was not ended")
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let output = try await client.output
        #expect(output.contains(#"{"echo":{"id":"before"}}"#), "got: \(output)")
        #expect(!output.contains("after") && !output.contains("<no-go>"), "got: \(output)")
        #expect(echo.calls.load(ordering: .relaxed) == 1)
    }

    /// A connection that closed while its tasks still run (its peer went away) is cut off by a
    /// reload all the same: its tasks that have not started see ``SocketConnection/isAllowed``
    /// false, as an open connection's do, and at once, before the server's queue ends them.
    @Test(.timeLimit(.minutes(1))) func anUpdatedPolicyReachesTheTasksOfAConnectionClosedAlready() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let open = Mutex<Set<String>>([])
        let started = Atomic(0)
        let seen = Mutex<Bool?>(nil)
        let (server, path) = try startServer(
            dir, policy: PeerPolicy(allowedUsers: ["nobody"]), mode: 0o666
        ) { line, connection in
            let id = String(decoding: line, as: UTF8.self).contains("first") ? "first" : "second"
            started.add(1, ordering: .relaxed)
            while !open.withLock({ $0.contains(id) }) { try? await Task.sleep(for: .milliseconds(5)) }
            if id == "second" { seen.withLock { $0 = connection.isAllowed } }
            return Data(#"{"answer":"\#(id)"}"#.utf8)
        }
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        // Sends two tasks and goes away without reading.
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            s.sendall(b'{"id":"first"}\\n{"id":"second"}\\n')
            s.close()
            """
        let client = try await ChildProcess.run(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, path])
        #expect(client.termination == .exited(0), "\(client.errorOutput)")
        #expect(await eventually { started.load(ordering: .relaxed) == 2 })
        // The first answer meets a closed peer: the connection is gone, its second task waits.
        open.withLock { _ = $0.insert("first") }
        #expect(await eventually { server.connectionCount == 0 }, "the connection did not close")

        server.update(policy: PeerPolicy(allowedUsers: ["daemon"]))
        open.withLock { _ = $0.insert("second") }
        #expect(await eventually { seen.withLock { $0 } != nil })
        #expect(seen.withLock { $0 } == false, "the task of a peer no longer allowed would run")
    }

    @Test func policyGroupsIncludeSupplementaryGroups() async throws {
        // root's group list from getgrouplist includes its primary group 0; "root" as an allowed
        // group admits a uid whose user is in it, checked without the uid shortcut.
        let resolved = PeerPolicy(allowedGroups: ["root"]).resolve(logger: quietLogger)
        #expect(resolved.gids == [0])
        #expect(PeerPolicy.groups(ofUID: 0)?.contains(0) == true)
        let nobodyGroups = PeerPolicy.groups(ofUID: 65534)
        #expect(nobodyGroups?.contains(65534) == true)
        let stranger = PeerPolicy.Resolved(ownUID: 12345, uids: [], gids: [65534])
        #expect(stranger.allows(PeerCredentials(pid: 1, uid: 65534, gid: 0)))  // via getgrouplist
        #expect(!stranger.allows(PeerCredentials(pid: 1, uid: 4242, gid: 4242)))
        #expect(stranger.allows(PeerCredentials(pid: 1, uid: 0, gid: 0)))  // root always
        #expect(stranger.allows(PeerCredentials(pid: 1, uid: 12345, gid: 1)))  // own uid always
    }

    @Test func linesOverOneMebibyteAreRefusedAndTheConnectionClosed() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let (server, path) = try startServer(dir) { line, _ in
            echo.calls.add(1, ordering: .relaxed)
            return Data(#"{"length":\#(line.count)}"#.utf8)
        }
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        // Exactly the limit is fine.
        let exact = try SocketClient.connect(path: path)
        try await exact.sendOffPool([Data(repeating: UInt8(ascii: "a"), count: 1 << 20)])
        #expect(try await exact.nextLine(timeout: .seconds(90)) == Data(#"{"length":1048576}"#.utf8))
        // One byte more is not.
        let long = try SocketClient.connect(path: path)
        try? await long.sendOffPool([Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1)])
        let reply = try #require(try await long.nextLine(timeout: .seconds(90)))
        #expect(String(decoding: reply, as: UTF8.self).hasPrefix(#"{"error":"LineTooLong""#))
        #expect(try await long.nextLine(timeout: .seconds(90)) == nil)
        #expect(echo.calls.load(ordering: .relaxed) == 1)
        // A line sent before the over-long one, in the same send, still runs and is answered
        // before the close: a task accepted is always answered; nothing after it is read.
        let mixed = try SocketClient.connect(path: path)
        var bytes = Data("short\n".utf8)
        bytes.append(Data(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1))
        bytes.append(Data("\nafter".utf8))
        try? await mixed.sendOffPool([bytes])
        var answers: [String] = []
        while let line = try await mixed.nextLine(timeout: .seconds(90)) {
            answers.append(String(decoding: line, as: UTF8.self))
        }
        #expect(answers.count == 2, "\(answers.map { $0.prefix(80) })")
        #expect(answers.contains(#"{"length":5}"#), "\(answers.map { $0.prefix(80) })")
        #expect(answers.contains { $0.hasPrefix(#"{"error":"LineTooLong""#) }, "\(answers.map { $0.prefix(80) })")
        #expect(echo.calls.load(ordering: .relaxed) == 2)
    }

    @Test func manyConcurrentLinesOnOneConnectionAreEachAnswered() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler(delay: .milliseconds(20))
        let (server, path) = try startServer(dir, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try SocketClient.connect(path: path)
        let total = 1_000
        try await client.sendOffPool((0..<total).map { Data(#"{"id":"\#($0)"}"#.utf8) })
        var replies = Set<String>()
        for _ in 0..<total {
            guard let line = try await client.nextLine(timeout: .seconds(90)) else { break }
            replies.insert(String(decoding: line, as: UTF8.self))
        }
        #expect(replies == Set((0..<total).map { #"{"echo":{"id":"\#($0)"}}"# }))
        // Lines of one connection run side by side, not one after the other.
        #expect(echo.mostRunningAtOnce.load(ordering: .relaxed) > 1)
    }

    /// Lines taken from the front of a connection's input are not cut out one by one; the
    /// buffer is compacted now and then. Across many reads that end mid-line, with the lines in
    /// progress capped, every line is still answered once and whole.
    @Test func aLongPipelinedStreamSplitAcrossReadsIsAnsweredLineByLine() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler()
        let limits = SocketServer.Limits(maximumLinesInProgress: 3, readBytesPerEvent: 997)
        let (server, path) = try startServer(dir, limits: limits, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let total = 3_000
        let filler = String(repeating: "x", count: 150)
        var stream = ""
        for index in 0..<total {
            stream += #"{"id":"\#(index)","f":"\#(filler)"}"#
            stream += index % 7 == 0 ? "\r\n \n" : "\n"  // CRLF and a blank line now and then
        }
        let client = try RawClient(path: path)
        let toSend = stream
        // Written and read on threads of their own: a blocking write must not hold a thread of
        // the cooperative pool the server's handlers run on.
        async let sent = offPool {
            let count = client.write(toSend)
            client.finishSending()
            return count
        }
        let received = try await offPool { client.readUntilClosed(timeout: .seconds(120)) }
        #expect(try await sent == stream.utf8.count)
        let lines = received.split(separator: "\n").map(String.init)
        #expect(lines.count == total)
        let expected = Set((0..<total).map { #"{"echo":{"id":"\#($0)","f":"\#(filler)"}}"# })
        #expect(Set(lines) == expected, "\(Set(lines).symmetricDifference(expected).count) lines differ")
    }

    /// A stop: intake ends, the lines running are answered, and the server waits for the
    /// connections to take those answers before it closes them.
    @Test func aStopWaitsForTheAnswersOfLinesRunningBeforeItCloses() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler(delay: .milliseconds(300))
        let (server, path) = try startServer(dir, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let client = try RawClient(path: path)
        client.write((0..<5).map { #"{"id":"\#($0)"}"# + "\n" }.joined())
        try #require(await eventually { echo.calls.load(ordering: .relaxed) >= 5 })
        await server.stopAccepting()
        await server.waitUntilIdle(timeout: .seconds(90))
        await server.close()
        let received = try await offPool { client.readUntilClosed() }
        #expect(
            Set(received.split(separator: "\n").map(String.init))
                == Set((0..<5).map { #"{"echo":{"id":"\#($0)"}}"# }), "got: \(received)")
        #expect(server.connectionCount == 0)
    }

    /// A result larger than the unsent-output limit (a `listSecrets` of a big account) reaches a
    /// client that reads: only output left unread before a reply counts against the limit.
    @Test func aReplyLargerThanThePendingOutputLimitReachesAReader() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let limits = SocketServer.Limits(maximumPendingOutputBytes: 1 << 20)
        let (server, path) = try startServer(dir, limits: limits) { _, _ in
            Data(repeating: UInt8(ascii: "x"), count: 3 << 20)
        }
        defer { server.shutdown() }
        async let _ = server.run()
        let client = try SocketClient.connect(path: path)
        for _ in 0..<2 {
            try client.send(Data(#"{"big":1}"#.utf8))
            let reply = try await client.nextLine(timeout: .seconds(90))
            #expect(reply?.count == 3 << 20)
        }
    }

    @Test func aFloodingClientThatNeverReadsDoesNotStallOthersAndIsDropped() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let echo = EchoHandler(padding: 16 * 1024)
        let limits = SocketServer.Limits(maximumPendingOutputBytes: 2 << 20)
        let (server, path) = try startServer(dir, limits: limits, handler: echo.handler)
        defer { server.shutdown() }
        async let _ = server.run()  // the handler calls, children of this test
        let flooder = Task {
            try await offPool {
                let client = try SocketClient.connect(path: path)
                var sent = 0
                // Sends until the server drops it; never reads.
                while sent < 200_000 {
                    do { try client.send(Data(#"{"flood":\#(sent)}"#.utf8)) } catch { break }
                    sent += 1
                }
                return sent
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        for round in 0..<5 {
            let client = try SocketClient.connect(path: path)
            try client.send(Data(#"{"polite":\#(round)}"#.utf8))
            let reply = try await client.nextLine(timeout: .seconds(90))
            #expect(
                reply.map { String(decoding: $0, as: UTF8.self).hasPrefix(#"{"echo":{"polite":\#(round)}"#) } == true)
        }
        let sent = try await flooder.value
        #expect(sent < 200_000, "the flooding client was never disconnected")
        #expect(await eventually { server.connectionCount == 0 })
    }
}
