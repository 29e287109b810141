import AWSCore
import Foundation
import Glibc
import Logging
import SecretsManager
import TestSupport
import Testing

/// The read cache (section 14) on the built daemon over moto with signature checks: a second read
/// through the socket or the spool does not reach AWS, `refresh` and the delegate's own writes
/// give the new value, past the TTL DescribeSecret decides, and `status` counts it all.
@Suite struct ReadCacheEndToEndTests {
    static func read(_ id: String, connector: String, _ params: [String: Any] = [:]) throws -> Data {
        var params = params
        params["name"] = params["name"] ?? "db"
        return try ConnectorEndToEndTests.task(id, connector: connector, operation: "getSecretValue", params: params)
    }

    static func answer(_ socket: String, _ line: Data) async throws -> [String: Any] {
        let lines = try await SocketPeer.exchange(path: socket, lines: [line])
        return SocketPeer.object(lines.first ?? "") ?? [:]
    }

    /// `operation` (a write of `db`) through `connector`.
    static func write(
        _ socket: String, _ id: String, _ operation: String, _ value: String, connector: String = "cached"
    ) async throws -> [String: Any] {
        try await answer(
            socket,
            try ConnectorEndToEndTests.task(
                id, connector: connector, operation: operation, params: ["name": "db", "secretString": value]))
    }

    static func value(_ result: [String: Any]) -> String? {
        (result["result"] as? [String: Any])?["secretString"] as? String
    }

    @Test func readsAreServedFromTheCacheUntilWrittenRefreshedOrChanged() async throws {
        let fixture = try await EndToEndFixture.make()
        let keys = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let name = "cache"
        let configuration =
            fixture.configuration(name: name, tags: ["cache"], socket: true)
            + ConnectorEndToEndTests.connector("cached", fixture, "cache_ttl_seconds = 600", selector: "cache")
            // An entry is kept max(TTL, stale window) past its TTL for revalidation: a long stale
            // window keeps it there however slow a loaded machine makes the next read.
            + ConnectorEndToEndTests.connector(
                "short", fixture, "cache_ttl_seconds = 1\ncache_stale_seconds = 600", selector: "cache")
        let daemon = try fixture.start(configuration: configuration, name: name)
        #expect(await daemon.waitUntilReady(), "\(daemon.stderrText)")
        let socket = fixture.socketPath(name)
        // Changes behind the delegate's back go straight to moto.
        let direct = SecretsManagerClient(
            aws: AWSClient(
                endpoint: fixture.moto.endpoint(service: "secretsmanager"), options: .patient(),
                httpClient: fixture.moto.httpClient),
            credentials: StaticCredentialProvider(keys), namePrefix: fixture.prefix)
        let logger = Logger(label: "read-cache-e2e")

        let created = try await Self.write(socket, "create", "createSecret", "cache-value-1")
        #expect(created["status"] as? String == "succeeded", "\(created)")

        let first = try await Self.answer(socket, try Self.read("r1", connector: "cached"))
        #expect(Self.value(first) == "cache-value-1", "\(first)")
        #expect(first["cached"] == nil)

        _ = try await direct.putSecretValue(
            name: "db", value: .string("cache-value-2"), versionStages: nil, taskID: "behind-1", logger: logger)

        // The socket and the spool share the cache: the old value, without asking AWS.
        let second = try await Self.answer(socket, try Self.read("r2", connector: "cached"))
        #expect(Self.value(second) == "cache-value-1", "\(second)")
        #expect(second["cached"] as? Bool == true)
        #expect(second["attempts"] as? Int == 0)
        try fixture.enqueue(raw: try Self.read("spool-read", connector: "cached"), fileName: "spool-read.json")
        let spooled = try await SpoolDirectory(path: fixture.spool).waitForResult(id: "spool-read")
        #expect(Self.value(spooled) == "cache-value-1", "\(spooled)")
        #expect(spooled["cached"] as? Bool == true)

        let refreshed = try await Self.answer(socket, try Self.read("r3", connector: "cached", ["refresh": true]))
        #expect(Self.value(refreshed) == "cache-value-2", "\(refreshed)")
        #expect(refreshed["cached"] == nil)

        // The delegate's own write: the next read asks AWS.
        let put = try await Self.write(socket, "put", "putSecretValue", "cache-value-3")
        #expect(put["status"] as? String == "succeeded", "\(put)")
        let afterWrite = try await Self.answer(socket, try Self.read("r4", connector: "cached"))
        #expect(Self.value(afterWrite) == "cache-value-3", "\(afterWrite)")
        #expect(afterWrite["cached"] == nil)

        // Past a 1 s TTL: DescribeSecret confirms an unchanged version (one call, still cached) ...
        _ = try await Self.answer(socket, try Self.read("s1", connector: "short"))
        try await Task.sleep(for: .milliseconds(1500))
        let confirmed = try await Self.answer(socket, try Self.read("s2", connector: "short"))
        #expect(Self.value(confirmed) == "cache-value-3", "\(confirmed)")
        #expect(confirmed["cached"] as? Bool == true)
        // One call, DescribeSecret (`cached` says no GetSecretValue was made); a second attempt
        // is that call tried again (seen once in a full run here, moto dropping a kept-alive connection).
        #expect((1...2).contains(confirmed["attempts"] as? Int ?? 0), "\(confirmed)")
        // ... and a changed one is fetched again.
        _ = try await direct.putSecretValue(
            name: "db", value: .string("cache-value-4"), versionStages: nil, taskID: "behind-2", logger: logger)
        try await Task.sleep(for: .milliseconds(1500))
        let changed = try await Self.answer(socket, try Self.read("s3", connector: "short"))
        #expect(Self.value(changed) == "cache-value-4", "\(changed)")
        #expect(changed["cached"] == nil)

        let status = try await SocketPeer.exchange(path: socket, lines: [Data(#"{"control":"status"}"#.utf8)])
        let cache = SocketPeer.object(status.first ?? "")?["cache"] as? [String: Any]
        #expect(cache?["hits"] as? Int == 3, "\(status)")
        #expect(cache?["misses"] as? Int == 5, "\(status)")
        #expect(cache?["revalidations"] as? Int == 2, "\(status)")
        #expect(cache?["staleServed"] as? Int == 0, "\(status)")
        #expect(cache?["entries"] as? Int == 2, "\(status)")

        for value in ["cache-value-1", "cache-value-2", "cache-value-3", "cache-value-4"] {
            #expect(!daemon.stderrText.contains(value))
        }
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func staleIsServedWhileUnreachableAndAReloadedConnectorForgets() async throws {
        let fixture = try await EndToEndFixture.make()
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let name = "stale"
        func configuration(endpoint: String? = nil, staleSeconds: Int = 3600) -> String {
            fixture.configuration(name: name, tags: ["stale"], socket: true, endpoint: endpoint)
                + ConnectorEndToEndTests.connector(
                    "stale", fixture, "cache_ttl_seconds = 1\ncache_stale_seconds = \(staleSeconds)", selector: "stale")
                + ConnectorEndToEndTests.connector("nostale", fixture, "cache_ttl_seconds = 1", selector: "stale")
        }
        let daemon = try fixture.start(configuration: configuration(), name: name)
        #expect(await daemon.waitUntilReady(), "\(daemon.stderrText)")
        let socket = fixture.socketPath(name)
        let created = try await Self.write(socket, "create", "createSecret", "stale-value-1", connector: "stale")
        #expect(created["status"] as? String == "succeeded", "\(created)")
        #expect(Self.value(try await Self.answer(socket, try Self.read("r1", connector: "stale"))) == "stale-value-1")
        #expect(Self.value(try await Self.answer(socket, try Self.read("n1", connector: "nostale"))) == "stale-value-1")

        // Secrets Manager becomes unreachable (the connectors are unchanged, so they keep their entries):
        // a loopback port bound and never listened on refuses, whatever the host runs (port 9 may
        // be a discard service).
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let unreachable = "http://127.0.0.1:\(closed.port)"
        try daemon.writeConfiguration(configuration(endpoint: unreachable))
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "event=reloaded")
        try await Task.sleep(for: .milliseconds(1500))

        let stale = try await Self.answer(socket, try Self.read("r2", connector: "stale"))
        #expect(stale["status"] as? String == "succeeded", "\(stale)")
        #expect(Self.value(stale) == "stale-value-1")
        #expect(stale["cached"] as? Bool == true)
        #expect(stale["stale"] as? Bool == true)
        let noWindow = try await Self.answer(socket, try Self.read("n2", connector: "nostale"))
        #expect(ConnectorEndToEndTests.error(noWindow).code == "EndpointUnreachable", "\(noWindow)")
        #expect(daemon.stderrText.contains("event=cache-stale-served"), "\(daemon.stderrText)")

        // A reload that changes the connector drops its entries: nothing left to serve.
        try daemon.writeConfiguration(configuration(endpoint: unreachable, staleSeconds: 3599))
        daemon.signal(SIGHUP)
        try await daemon.waitForStderr(containing: "changed=connectors")
        let forgotten = try await Self.answer(socket, try Self.read("r3", connector: "stale"))
        #expect(ConnectorEndToEndTests.error(forgotten).code == "EndpointUnreachable", "\(forgotten)")

        let status = try await SocketPeer.exchange(path: socket, lines: [Data(#"{"control":"status"}"#.utf8)])
        let cache = SocketPeer.object(status.first ?? "")?["cache"] as? [String: Any]
        #expect(cache?["staleServed"] as? Int == 1, "\(status)")
        #expect(cache?["entries"] as? Int == 0, "\(status)")
        #expect(!daemon.stderrText.contains("stale-value-1"))
        #expect(try await daemon.stop() == .exited(0))
    }
}
