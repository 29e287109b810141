import Foundation
import Testing
import TestSupport

@testable import Delegate

/// `[[credential]]` entries and `[queue] credentials_socket_path` (section 11).
@Suite struct CredentialConfigurationTests {
    static let connector = """
        [connectors.prod]
        region = "us-east-1"
        credentials = { type = "instanceRole" }
        allowed_units = ["app.service"]

        """

    func load(_ toml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> DelegateConfiguration {
        try DelegateConfiguration.load(
            tomlText: toml + "\n" + Self.connector, environment: environment, hostName: "host-a", path: "/etc/sd/delegate.toml")
    }

    func refusal(_ toml: String) -> ConfigurationError? {
        guard case .failure(let error) = Result(catching: { () throws(ConfigurationError) in try load(toml) }) else {
            return nil
        }
        return error
    }

    static let sample = """
        [queue]
        credentials_socket_path = "/run/sd/credentials.sock"

        [[credential]]
        unit = "app.service"
        id = "db-password"
        connector = "prod"
        secret = "app/db#password"
        version_stage = "AWSPREVIOUS"

        [[credential]]
        unit = "*"
        id = "token"
        connector = "prod"
        secret = "token"
        version_id = "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"
        """

    @Test func entriesAndThePathAreRead() throws {
        let configuration = try load(Self.sample)
        #expect(configuration.queue.credentialsSocketPath == "/run/sd/credentials.sock")
        #expect(
            configuration.credentialMappings == [
                CredentialMapping(
                    unit: "app.service", id: "db-password", connector: "prod", secret: "app/db#password",
                    version: .stage("AWSPREVIOUS")),
                CredentialMapping(unit: "*", id: "token", connector: "prod", secret: "token", version: .id("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE")),
            ])
        // The default is off; the environment overrides like every key.
        #expect(try load("").queue.credentialsSocketPath == "")
        let overridden = try load(
            "", environment: ["SECRETS_DELEGATE_QUEUE_CREDENTIALS_SOCKET_PATH": "/run/other.sock"])
        #expect(overridden.queue.credentialsSocketPath == "/run/other.sock")
    }

    @Test func checkConfigRendersEntriesThatLoadBackEqual() throws {
        let configuration = try load(Self.sample)
        let rendered = configuration.renderTOML()
        #expect(rendered.contains("credentials_socket_path = \"/run/sd/credentials.sock\""))
        #expect(rendered.contains("[[credential]]\nunit = \"app.service\"\nid = \"db-password\""))
        let again = try DelegateConfiguration.load(tomlText: rendered, environment: [:], hostName: "host-a")
        #expect(again.credentialMappings == configuration.credentialMappings)
        #expect(again.queue == configuration.queue)
    }

    @Test func theSocketPathAppliesAtARestartAndEntriesOnReload() throws {
        let key = try #require(ConfigurationKey.find(section: "queue", name: "credentials_socket_path"))
        #expect(!key.appliesOnReload)
        #expect(key.environmentName == "SECRETS_DELEGATE_QUEUE_CREDENTIALS_SOCKET_PATH")
    }

    @Test func badEntriesNameTheFileTheEntryAndTheKey() throws {
        let entry = { (body: String) in "[[credential]]\n" + body }
        let base = "unit = \"app.service\"\nid = \"db\"\nconnector = \"prod\"\nsecret = \"db\"\n"
        let cases: [(String, String, String)] = [
            (entry(base.replacingOccurrences(of: "connector = \"prod\"", with: "connector = \"staging\"")),
             "entry 1 connector", "staging"),
            (entry(base + "colour = \"blue\""), "entry 1 colour", "unknown key"),
            (entry(base.replacingOccurrences(of: "unit = \"app.service\"\n", with: "")), "entry 1 unit", "required"),
            (entry(base.replacingOccurrences(of: "unit = \"app.service\"", with: "unit = \"app\"")), "entry 1 unit",
             "not a systemd unit name"),
            (entry(base.replacingOccurrences(of: "id = \"db\"", with: "id = \"a/b\"")), "entry 1 id", "LoadCredential"),
            // The rule the id breaks is among those the message lists.
            (entry(base.replacingOccurrences(of: "id = \"db\"", with: "id = \"db:password\"")), "entry 1 id",
             "no \"/\" or \":\""),
            (entry(base.replacingOccurrences(of: "id = \"db\"", with: "id = \"pässword\"")), "entry 1 id",
             "printable ASCII"),
            (entry(base.replacingOccurrences(of: "unit = \"app.service\"", with: "unit = \"app@.service\"")), "entry 1 unit",
             "app@.service is a template"),
            (entry(base.replacingOccurrences(of: "secret = \"db\"", with: "secret = 3")), "entry 1 secret", "string"),
            (entry(base + "version_stage = \"AWSCURRENT\"\nversion_id = \"v\""), "entry 1 version_id", "version_stage"),
            (entry(base) + "\n" + entry(base), "entry 2", "again (already entry 1)"),
            // Ids compared by their bytes: the Kelvin sign is "K" to a Swift dictionary, not here.
            ("[connectors.Kafka]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
                + entry(base.replacingOccurrences(of: "connector = \"prod\"", with: "connector = \"\u{212A}afka\"")),
             "entry 1 connector", "not a configured connector"),
            ("credential = \"x\"", "credential", "array of tables"),
            ("[queue]\ncredentials_socket_path = \"relative.sock\"", "[queue] credentials_socket_path", "absolute"),
            ("[queue]\nsocket_path = \"/run/sd/one.sock\"\ncredentials_socket_path = \"/run/sd/one.sock\"",
             "[queue] credentials_socket_path", "socket_path"),
            ("[queue]\nsocket_path = \"/run/sd/one.sock\"\ncredentials_socket_path = \"/run/sd//./x/../one.sock\"",
             "[queue] credentials_socket_path", "socket_path"),
        ]
        for (toml, key, reason) in cases {
            let error = try #require(refusal(toml), "\(toml)")
            #expect(error.key?.contains(key) == true, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            if key.hasPrefix("entry") { #expect(error.key?.hasPrefix("/etc/sd/delegate.toml [[credential]]") == true) }
        }
        // The same unit may map other ids, and another unit the same id.
        let fine = try load(
            entry(base) + "\n" + entry(base.replacingOccurrences(of: "unit = \"app.service\"", with: "unit = \"*\"")))
        #expect(fine.credentialMappings.count == 2)
    }

    /// One file under two spellings is one path: `..`, `.`, `//`, and a directory that links to
    /// another (Debian's `/var/run` to `/run`); other paths are others.
    @Test func theSameFileUnderAnotherSpellingIsTheSamePath() throws {
        let directory = try TemporaryDirectory(prefix: "samefile")
        try FileManager.default.createDirectory(atPath: directory.path("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path("link"), withDestinationPath: directory.path("real"))
        let same = DelegateConfiguration.samePath
        #expect(same(directory.path("real/a.sock"), directory.path("link/a.sock")))
        // A directory not made yet, under a link: compared below the deepest that exists.
        #expect(same(directory.path("real/later/a.sock"), directory.path("link/later/a.sock")))
        // `..` after a link goes up from where the link leads, as the kernel resolves it.
        try FileManager.default.createDirectory(atPath: directory.path("real/sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.path("other"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory.path("other/jump"), withDestinationPath: directory.path("real/sub"))
        #expect(same(directory.path("other/jump/../a.sock"), directory.path("real/a.sock")))
        #expect(same("/run/sd/a.sock", "/run//sd/./b/../a.sock"))
        #expect(!same(directory.path("real/a.sock"), directory.path("real/b.sock")))
        #expect(!same("/run/sd/a.sock", "/run/sd2/a.sock"))
    }

    /// systemd names the request "@<16 hex digits>/unit/<unit>/<id>" and refuses a name over 107
    /// bytes before it connects (the unit fails, the delegate never hears of it): unit name and id
    /// together fit in 83 bytes, checked at load; for "*", with the shortest unit name.
    @Test func unitAndIDMustFitInSystemdsRequestAddress() throws {
        func mapping(unit: String, idBytes: Int) -> String {
            "[[credential]]\nunit = \"\(unit)\"\nid = \"\(String(repeating: "i", count: idBytes))\"\nconnector = \"prod\"\nsecret = \"db\"\n"
        }
        // app.service is 11 bytes: an id of 72 makes 83.
        #expect(try load(mapping(unit: "app.service", idBytes: 72)).credentialMappings.count == 1)
        let longest = "@" + String(repeating: "f", count: 16) + "/unit/app.service/" + String(repeating: "i", count: 72)
        #expect(longest.utf8.count == 107)
        let tooLong = try #require(refusal(mapping(unit: "app.service", idBytes: 73)))
        #expect(tooLong.key == "/etc/sd/delegate.toml [[credential]] entry 1 id", "\(tooLong)")
        #expect(tooLong.reason.contains("too long for unit app.service"), "\(tooLong)")
        #expect(tooLong.reason.contains("83 bytes"), "\(tooLong)")
        // The shortest unit names are six bytes ("a.swap", "a.path"): for "*", ids up to 77.
        #expect(try load(mapping(unit: "*", idBytes: 77)).credentialMappings.count == 1)
        let anyUnit = try #require(refusal(mapping(unit: "*", idBytes: 78)))
        #expect(anyUnit.reason.contains("too long for any unit"), "\(anyUnit)")
    }

    /// A unit name ends in one of systemd's unit types: "app.servce" could never ask, nor be a
    /// socket peer's unit.
    @Test(arguments: [("app.servce", false), ("a.b", false), ("app.", false), ("a.swap", true), ("x-y@1.service", true), ("session-3.scope", true)])
    func aUnitNameEndsInAUnitType(unit: String, valid: Bool) {
        #expect(NamedConnector.isUnitName(unit) == valid)
    }

    /// An entry the request could only refuse (a unit the connector does not admit, an operation
    /// it does not allow, a read no task could make) is refused at load, where `check-config`
    /// and a reload see it, not at the unit's start.
    @Test func entriesThatCouldOnlyBeRefusedAreConfigurationErrors() throws {
        let connectors = """
            [connectors.open]
            region = "us-east-1"
            secret_name_prefix = "team"
            credentials = { type = "instanceRole" }

            [connectors.writer]
            region = "us-east-1"
            credentials = { type = "instanceRole" }
            operations = ["putSecretValue"]

            [connectors.users]
            region = "us-east-1"
            credentials = { type = "instanceRole" }
            allowed_users = ["root"]

            """
        func entry(_ unit: String, _ connector: String, _ secret: String = "db", _ extra: String = "") -> String {
            "[[credential]]\nunit = \"\(unit)\"\nid = \"db\"\nconnector = \"\(connector)\"\nsecret = \"\(secret)\"\n\(extra)"
        }
        let cases: [(String, String, String)] = [
            (entry("b.service", "prod"), "entry 1 unit", "b.service is not in the allowed_units of connector prod: app.service"),
            (entry("*", "users"), "entry 1 unit", "allowed_units admits no unit"),
            (entry("b.service", "users"), "entry 1 unit", "; it has none"),
            (entry("app.service", "writer"), "entry 1 connector", "does not allow getSecretValue"),
            (entry("app.service", "open", "bad name!"), "entry 1 secret", "connector open"),
            (entry("app.service", "open", String(repeating: "n", count: 600)), "entry 1 secret", "512"),
            (entry("app.service", "open", "db#"), "entry 1 secret", "names no JSON field"),
            (entry("app.service", "open", "db", "version_stage = \"\(String(repeating: "s", count: 257))\""),
             "entry 1 version_stage", "params.versionStage"),
            (entry("app.service", "open", "db", "version_id = \"\(String(repeating: "v", count: 65))\""),
             "entry 1 version_id", "params.versionId"),
            (entry("app.service", "open", "db", "version_id = \"v-1\""), "entry 1 version_id", "32-64 characters"),
        ]
        for (toml, key, reason) in cases {
            let error = try #require(refusal(connectors + toml), "\(toml)")
            #expect(error.key == "/etc/sd/delegate.toml [[credential]] " + key, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(!error.reason.contains("credential-check"), "\(error)")
        }
        // A connector from a drop-in is named with its file.
        let directory = try TemporaryDirectory(prefix: "credential-dropin")
        let dropIn = directory.path("ops.toml")
        try "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_units = [\"x.service\"]\n"
            .write(toFile: dropIn, atomically: false, encoding: .utf8)
        let fromDropIn = try #require(
            refusal("[delegate]\nconnectors_dir = \"\(directory.url.path)\"\n\n" + entry("b.service", "ops")))
        #expect(fromDropIn.reason == "b.service is not in the allowed_units of connector ops (\(dropIn)): x.service")
        // The same entries through connectors that admit them load.
        let fine = try load(
            connectors + entry("app.service", "prod") + "\n" + entry("*", "open", "team-db#password", "version_stage = \"AWSPREVIOUS\""))
        #expect(fine.credentialMappings.map(\.connector) == ["prod", "open"])
    }

    @Test func anExactUnitWinsOverTheWildcard() {
        let mappings = [
            CredentialMapping(unit: "*", id: "db", connector: "prod", secret: "any"),
            CredentialMapping(unit: "app.service", id: "db", connector: "prod", secret: "app"),
        ]
        #expect(CredentialMapping.find(unit: "app.service", id: "db", in: mappings)?.secret == "app")
        #expect(CredentialMapping.find(unit: "other.service", id: "db", in: mappings)?.secret == "any")
        #expect(CredentialMapping.find(unit: "app.service", id: "other", in: mappings) == nil)
    }
}
