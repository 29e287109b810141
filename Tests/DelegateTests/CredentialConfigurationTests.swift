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
        version_id = "v-1"
        """

    @Test func entriesAndThePathAreRead() throws {
        let configuration = try load(Self.sample)
        #expect(configuration.queue.credentialsSocketPath == "/run/sd/credentials.sock")
        #expect(
            configuration.credentialMappings == [
                CredentialMapping(
                    unit: "app.service", id: "db-password", connector: "prod", secret: "app/db#password",
                    version: .stage("AWSPREVIOUS")),
                CredentialMapping(unit: "*", id: "token", connector: "prod", secret: "token", version: .id("v-1")),
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
            (entry(base.replacingOccurrences(of: "secret = \"db\"", with: "secret = 3")), "entry 1 secret", "string"),
            (entry(base + "version_stage = \"AWSCURRENT\"\nversion_id = \"v\""), "entry 1 version_id", "version_stage"),
            (entry(base) + "\n" + entry(base), "entry 2", "again (already entry 1)"),
            ("credential = \"x\"", "credential", "array of tables"),
            ("[queue]\ncredentials_socket_path = \"relative.sock\"", "[queue] credentials_socket_path", "absolute"),
        ]
        for (toml, key, reason) in cases {
            let error = try #require(refusal(toml), "\(toml)")
            #expect(error.key?.contains(key) == true, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            if key.hasPrefix("entry") { #expect(error.key?.hasPrefix("/etc/sd/delegate.toml [[credential]]") == true) }
        }
        // The same unit may map other ids, and another unit the same id.
        let fine = try load(entry(base) + "\n" + entry(base.replacingOccurrences(of: "app.service", with: "b.service")))
        #expect(fine.credentialMappings.count == 2)
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
