import Foundation
import Glibc
import SigV4
import TestSupport

/// One end-to-end scene: moto with signature and IAM checks on, IAM users for the connectors,
/// their keys as credential files (mode 0600), a spool, and configurations for delegates.
struct EndToEndFixture: Sendable {
    let moto: MotoServer
    let directory: TemporaryDirectory
    /// A unique prefix per fixture, so parallel tests never see each other's secrets.
    let prefix: String

    var root: String { directory.url.path }
    var spool: String { directory.path("spool") }
    var credentials: String { directory.path("credentials") }

    static func make(moto given: MotoServer? = nil) async throws -> EndToEndFixture {
        let moto: MotoServer
        if let given { moto = given } else { moto = try await MotoServer.shared() }
        // Short: socket paths must fit in sun_path.
        let directory = try TemporaryDirectory(prefix: "sd-e2e")
        let fixture = EndToEndFixture(
            moto: moto, directory: directory, prefix: "e2e-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(atPath: fixture.credentials, withIntermediateDirectories: true)
        return fixture
    }

    /// Creates an IAM user allowed `actions` and stores its keys as `<name>-id` / `<name>-secret`.
    func addConnectorIdentity(_ name: String, allowing actions: [String]) async throws -> Credentials {
        let keys = try await moto.createUser(allowing: actions)
        try writeSecretFile("\(name)-id", keys.accessKeyId)
        try writeSecretFile("\(name)-secret", keys.secretAccessKey)
        return keys
    }

    /// Stores made-up keys as `<name>-id` / `<name>-secret`, for endpoints that check no signature.
    func addStaticIdentity(_ name: String) throws {
        try writeSecretFile("\(name)-id", "AKIDSTATIC\(name.uppercased())")
        try writeSecretFile("\(name)-secret", "static-secret-\(UUID().uuidString)")
    }

    private func writeSecretFile(_ name: String, _ contents: String) throws {
        let path = credentials + "/" + name
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// The configuration (TOML text) of one delegate; its socket lives in the fixture directory.
    func configuration(
        name: String, tags: [String], concurrency: Int = 8, socket: Bool = false, allowedUsers: [String] = [],
        endpoint: String? = nil, requestTimeoutSeconds: Int = 15, extra: String = ""
    ) -> String {
        """
            [delegate]
            name = "\(name)"
            tags = [\(tags.map { "\"\($0)\"" }.joined(separator: ", "))]
            accept_untagged = false
            concurrency = \(concurrency)

            [queue]
            spool_dir = "\(spool)"
            socket_path = "\(socket ? socketPath(name) : "")"
            socket_allowed_groups = []
            socket_allowed_users = [\(allowedUsers.map { "\"\($0)\"" }.joined(separator: ", "))]
            rescan_interval_seconds = 1

            [aws]
            secretsmanager_endpoint = "\(endpoint ?? moto.endpoint)"
            sts_endpoint = "\(moto.endpoint)"
            connect_timeout_seconds = 15
            request_timeout_seconds = \(requestTimeoutSeconds)

            [identity]
            sources = ["environment"]

            [credentials]
            directory = "\(credentials)"
            \(extra)
            """
    }

    func socketPath(_ delegate: String) -> String { directory.path("\(delegate).sock") }

    /// Starts a delegate with `configuration`, its files in a directory of its own.
    func start(configuration: String, name: String) throws -> DaemonProcess {
        let daemon = try DaemonProcess(
            configuration: configuration, environment: ["PATH": "/usr/bin:/bin"],
            directory: TemporaryDirectory(prefix: "sd-\(name)"))
        try daemon.start()
        return daemon
    }

    /// A task as JSON, for a connector whose keys are the identity `identity`.
    func task(
        id: String, operation: String, params: [String: Any]? = nil, selectors: [String],
        identity: String = "full", connectorID: String = "e2eConnector"
    ) -> [String: Any] {
        var task: [String: Any] = [
            "id": id,
            "operation": operation,
            "connector": [
                "id": connectorID,
                "region": MotoServer.region,
                "secretNamePrefix": prefix,
                "delegateSelectors": selectors,
                "credentials": [
                    "type": "accessKey", "accessKeyIdRef": "\(identity)-id", "secretAccessKeyRef": "\(identity)-secret",
                ],
            ] as [String: Any],
        ]
        if let params { task["params"] = params }
        return task
    }

    static func line(_ task: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: task, options: [.sortedKeys])
    }

    /// Enqueues a task the way producers do: written in tmp/, renamed into new/.
    func enqueue(_ task: [String: Any], fileName: String? = nil) throws {
        try enqueue(raw: try Self.line(task), fileName: fileName ?? "\(task["id"] as? String ?? "task").json")
    }

    func enqueue(raw: Data, fileName: String) throws {
        try SpoolDirectory(path: spool).enqueue(raw: raw, fileName: fileName)
    }

    /// The result files in done/, by task id.
    func results() -> [String: [String: Any]] {
        let done = spool + "/done"
        var results: [String: [String: Any]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: done)) ?? [] where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: done + "/" + name),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { continue }
            results[String(name.dropLast(5))] = object
        }
        return results
    }

    /// The entries of a spool directory; of a claims directory (`cur/<name>`), but the delegate's
    /// lock file (`.lock`), which is there while it runs.
    func names(in sub: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool + "/" + sub)) ?? []
        return (sub.hasPrefix("cur/") ? names.filter { $0 != ".lock" } : names).sorted()
    }
}

struct EndToEndError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension DaemonProcess {
    /// Waits until the daemon has logged that it is ready (its spool and socket are open).
    func waitUntilReady() async -> Bool {
        (try? await waitForStderr(containing: "event=ready", timeout: .seconds(90))) != nil
    }
}
