import Testing

@testable import Delegate

/// `[queue] socket_max_connections` and `socket_idle_timeout_seconds`.
@Suite struct SocketLimitsConfigurationTests {
    @Test func defaultsAreAFewHundredConnectionsAndFiveMinutes() throws {
        let configuration = try DelegateConfiguration.load(tomlText: nil, environment: [:], hostName: "h")
        #expect(configuration.queue.socketMaxConnections == 256)
        #expect(configuration.queue.socketIdleTimeoutSeconds == 300)
    }

    @Test func fileAndEnvironmentSetThemAndCheckConfigShowsThem() throws {
        let toml = "[queue]\nsocket_max_connections = 32\nsocket_idle_timeout_seconds = 2.5\n"
        let configuration = try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
        #expect(configuration.queue.socketMaxConnections == 32)
        #expect(configuration.queue.socketIdleTimeoutSeconds == 2.5)
        let rendered = configuration.renderTOML()
        #expect(rendered.contains("socket_max_connections = 32\n"))
        #expect(rendered.contains("socket_idle_timeout_seconds = 2.5\n"))
        let overridden = try DelegateConfiguration.load(
            tomlText: toml,
            environment: [
                "SECRETS_DELEGATE_QUEUE_SOCKET_MAX_CONNECTIONS": "1000",
                "SECRETS_DELEGATE_QUEUE_SOCKET_IDLE_TIMEOUT_SECONDS": "60",
            ], hostName: "h")
        #expect(overridden.queue.socketMaxConnections == 1000)
        #expect(overridden.queue.socketIdleTimeoutSeconds == 60)
    }

    @Test func bothApplyOnReload() throws {
        for name in ["socket_max_connections", "socket_idle_timeout_seconds"] {
            let key = try #require(ConfigurationKey.find(section: "queue", name: name))
            #expect(key.appliesOnReload)
        }
    }

    @Test(
        arguments: [
            ("socket_max_connections = 0", "[queue] socket_max_connections", "between 1 and 65536, not 0"),
            ("socket_max_connections = 100000", "[queue] socket_max_connections", "not 100000"),
            ("socket_max_connections = 1.5", "[queue] socket_max_connections", "not a floating-point number"),
            ("socket_idle_timeout_seconds = 0", "[queue] socket_idle_timeout_seconds", "at least 1 second"),
            ("socket_idle_timeout_seconds = -1", "[queue] socket_idle_timeout_seconds", "must not be negative"),
            ("socket_idle_timeout_seconds = 100000", "[queue] socket_idle_timeout_seconds", "at most 86400"),
        ])
    func badValuesNameTheKey(line: String, key: String, reason: String) {
        do {
            _ = try DelegateConfiguration.load(tomlText: "[queue]\n" + line, environment: [:], hostName: "h")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.key == key)
            #expect("\(error)".contains(reason), "got: \(error)")
        }
    }
}
