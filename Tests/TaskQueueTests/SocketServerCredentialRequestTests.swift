import Foundation
import Glibc
import Logging
import TestSupport
import Testing

@testable import TaskQueue

/// systemd's credential helper sent to the task socket by a `LoadCredential=` line naming it: it
/// sends nothing and reads to the end, so an idle timeout's EOF would start its unit with an
/// empty credential. It gets the credentials socket's refusal (more than systemd takes), at once.
@Suite struct SocketServerCredentialRequestTests {
    @Test(.timeLimit(.minutes(1))) func systemdsCredentialHelperIsRefusedNotLeftToAnEmptyCredential() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let handler = EchoHandler()
        let recorder = LogRecorder()
        let (server, path) = try SocketServerTests().startServer(dir, logger: recorder.logger(), handler: handler.handler)
        defer { server.shutdown() }
        async let _ = server.run()

        let helper = try RawClient(path: path, boundTo: "3fa9/unit/app.service/db-password")
        helper.finishSending()
        let answer = try await offPool { helper.readUntilClosed(timeout: .seconds(30)) }
        #expect(answer.utf8.count == CredentialSocketServer.refusalLength)
        #expect(answer.hasPrefix(String(decoding: CredentialSocketServer.refusalLine, as: UTF8.self)))
        #expect(handler.calls.load(ordering: .relaxed) == 0)
        // One of the credential-refused events the refusal's text points to, as they all are.
        let refused = recorder.records.filter { $0.contains("came to the task socket") }
        #expect(refused.count == 1, "\(recorder.records)")
        #expect(refused.first?.hasPrefix("warning ") == true, "\(refused)")
        for field in [
            "event=credential-refused", "error_code=WrongSocket", "unit=app.service", "credential_id=db-password",
            "peer_uid=\(geteuid())",
        ] {
            #expect(refused.first?.contains(field) == true, "\(field): \(refused)")
        }

        // Any other address is a task client as before.
        let client = try RawClient(path: path, boundTo: "not-systemd/unit/app.service/x")
        _ = client.write("{\"id\":1}\n")
        // Off the cooperative pool (two threads here), which the echo's handler runs on.
        let echoed = try await offPool { client.readSome(timeout: .seconds(10)) }
        #expect(echoed.contains(#"{"echo":{"id":1}}"#), "\(echoed)")
        let names = CredentialSocketServer.credentialRequestNames([0] + Array("1f/unit/a\u{1B}[2Jb.service/i\u{1B}d:x/y".utf8))
        #expect(names?.unit == "a2Jb.service" && names?.id == "idxy", "\(String(describing: names))")
        #expect(CredentialSocketServer.credentialRequestNames([0] + Array("1f/unit/a.service".utf8))?.id == "")
        // Past the connection cap too: a TooManyConnections line would be the unit's credential.
        let capped = try TestDirectory()
        defer { capped.remove() }
        let (full, fullPath) = try SocketServerTests().startServer(
            capped, limits: .init(maximumConnections: 1), handler: EchoHandler().handler)
        defer { full.shutdown() }
        async let _ = full.run()
        let holder = try RawClient(path: fullPath)
        #expect(await eventually { full.connectionCount == 1 })
        let late = try RawClient(path: fullPath, boundTo: "77/unit/late.service/db")
        late.finishSending()
        #expect(try await offPool { late.readUntilClosed(timeout: .seconds(30)) }.utf8.count == CredentialSocketServer.refusalLength)
        holder.close()
    }

    /// Only root's peer is systemd's helper: another user bound to its address is a task client
    /// (it could name any unit, and would pass the connection cap).
    @Test(.timeLimit(.minutes(1))) func anotherUserBoundToTheHelpersAddressIsATaskClient() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let (server, path) = try SocketServerTests().startServer(
            dir, policy: PeerPolicy(allowedUsers: ["nobody"]), mode: 0o666, handler: EchoHandler().handler)
        defer { server.shutdown() }
        async let _ = server.run()
        let received = try await runAsNobody(socket: path, boundTo: "3fa9/unit/u.service/x", firstLineOnly: true)
        #expect(received == "{\"echo\":{\"id\":\"from-nobody\"}}\n", "got: \(received)")
        #expect(CredentialSocketServer.credentialRequestNames([0] + Array("01234567890abcdef/unit/a.service/id".utf8)) == nil)
        #expect(CredentialSocketServer.credentialRequestNames(Array("/run/x.sock".utf8)) == nil)
    }
}
