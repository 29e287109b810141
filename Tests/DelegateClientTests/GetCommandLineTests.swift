import DelegateClient
import Testing

/// Which command lines the front binary serves itself; every other one goes to the full binary
/// (docs/INTERFACE.md section 10).
@Suite struct GetCommandLineTests {
    @Test func takesThePlainForms() throws {
        let plain = try #require(GetCommandLine(["get", "--socket", "/run/d.sock", "prod", "db#password"]))
        #expect(plain == GetCommandLine(socket: "/run/d.sock", connector: "prod", name: "db#password"))

        let reordered = try #require(
            GetCommandLine(["get", "prod", "--json", "--socket=/s", "db", "--version-stage", "AWSPREVIOUS"]))
        #expect(
            reordered == GetCommandLine(socket: "/s", connector: "prod", name: "db", version: .stage("AWSPREVIOUS"), json: true))

        let byID = try #require(GetCommandLine(["get", "--version-id=v-1", "--config", "/etc/x.toml", "--socket", "/s", "a", "b"]))
        #expect(byID.version == .id("v-1"))
        #expect(byID.socketPath == "/s")
        #expect(!byID.refresh)

        let refreshed = try #require(GetCommandLine(["get", "--refresh", "--socket", "/s", "a", "b"]))
        #expect(refreshed.refresh && refreshed.connector == "a" && refreshed.name == "b")
    }

    @Test(arguments: [
        [],
        ["status"],
        ["--version"],
        ["get"],
        ["get", "--help"],
        ["get", "-h", "--socket", "/s", "a", "b"],
        ["get", "--socket", "/s", "a"],
        ["get", "--socket", "/s", "a", "b", "c"],
        ["get", "prod", "db"],
        ["get", "--config", "/etc/x.toml", "prod", "db"],
        ["get", "--socket", "/s", "--socket", "/t", "a", "b"],
        ["get", "--socket", "/s", "--json", "--json", "a", "b"],
        ["get", "--socket", "/s", "--refresh", "--refresh", "a", "b"],
        ["get", "--socket", "/s", "--refresh=true", "a", "b"],
        ["get", "--socket", "/s", "--version-id", "1", "--version-stage", "S", "a", "b"],
        ["get", "--socket", "-s", "a", "b"],
        ["get", "--socket=-s", "a", "b"],
        ["get", "--socket", "/s", "-x", "b"],
        ["get", "--socket", "/s", "--", "a", "b"],
        ["get", "--socket", "/s", "--unknown", "v", "a", "b"],
        ["get", "--socket", "/s", "a", "b", "--version-id"],
        ["get", "--json=true", "--socket", "/s", "a", "b"],
        ["get", "--socket=", "a", "b"],
        ["get", "--socket", "/s", "--config=", "a", "b"],
        ["get", "--socket", "/s", "--version-id=", "a", "b"],
        ["exec", "--socket", "/s", "--env", "A=c:n", "--", "env"],
    ])
    func leavesEverythingElseToTheFullBinary(arguments: [String]) {
        #expect(GetCommandLine(arguments) == nil)
    }
}

extension GetCommandLine {
    init(socket: String, connector: String, name: String, version: SecretFetcher.Version = .current, json: Bool = false) {
        self = GetCommandLine(["get", "--socket", socket, connector, name])!
        self.version = version
        self.json = json
    }
}
