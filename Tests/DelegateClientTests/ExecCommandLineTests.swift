import DelegateClient
import Testing

/// Which `exec` command lines the front binary serves itself; every other one goes to the full
/// binary (docs/INTERFACE.md section 10).
@Suite struct ExecCommandLineTests {
    @Test func takesThePlainForms() throws {
        let plain = try #require(
            ExecCommandLine(["exec", "--socket", "/run/d.sock", "--env", "PW=prod:db#password", "--", "./migrate", "-v"]))
        #expect(plain.socketPath == "/run/d.sock")
        #expect(plain.bindings == [try EnvironmentExec.Binding(parsing: "PW=prod:db#password")])
        #expect(plain.command == ["./migrate", "-v"])
        #expect(!plain.refresh)
        let refreshed = try #require(
            ExecCommandLine(["exec", "--env", "PW=prod:db", "--refresh", "--socket", "/s", "--", "./migrate"]))
        #expect(refreshed.refresh && refreshed.command == ["./migrate"])

        let reordered = try #require(
            ExecCommandLine([
                "exec", "--env=A=prod:db", "--config", "/etc/x.toml", "--env", "B=prod:arn:aws:x#k", "--socket=/s", "--",
                "sh", "-c", "echo --", "--",
            ]))
        #expect(reordered.socketPath == "/s")
        #expect(reordered.bindings.map(\.variable) == ["A", "B"])
        #expect(reordered.bindings.last?.name == "arn:aws:x#k")
        #expect(reordered.command == ["sh", "-c", "echo --", "--"])

        // A variable named twice is the run's usage error (both binaries give it), not the parser's.
        #expect(ExecCommandLine(["exec", "--socket", "/s", "--env", "A=c:n", "--env", "A=c:m", "--", "env"]) != nil)
    }

    @Test(arguments: [
        [],
        ["get", "--socket", "/s", "a", "b"],
        ["exec"],
        ["exec", "--help"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "--help", "--", "env"],
        ["exec", "-h", "--socket", "/s", "--env", "A=c:n", "--", "env"],
        ["exec", "--env", "A=c:n", "--", "env"],
        ["exec", "--config", "/etc/x.toml", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--", "env"],
        ["exec", "--socket", "/s", "--env", "A=c:n"],
        ["exec", "--socket", "/s", "--refresh", "--refresh", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--refresh=1", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "--"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "env"],
        ["exec", "--socket", "/s", "--socket", "/t", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--config", "/a", "--config", "/b", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "-s", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket=", "--env", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--env=", "A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--env", "--", "env"],
        ["exec", "--socket", "/s", "--env", "1A=c:n", "--", "env"],
        ["exec", "--socket", "/s", "--env", "A=c", "--", "env"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "--unknown", "v", "--", "env"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "--socket"],
    ])
    func leavesEverythingElseToTheFullBinary(arguments: [String]) {
        #expect(ExecCommandLine(arguments) == nil)
    }
}
