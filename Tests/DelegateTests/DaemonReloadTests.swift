import AWSCore
import Foundation
import HTTP
import Logging
import SigV4
import Synchronization
import Systemd
import TestSupport
import Testing

@testable import AWSCredentials
@testable import Delegate

/// SIGHUP's work, driven in-process: the daemon is built from a configuration file, the file is
/// rewritten and `reload` runs as the reload loop runs it. (A real SIGHUP would reach every
/// daemon of the parallel tests; `DaemonNotifyTests` sends one to a child process.)
@Suite struct DaemonReloadTests {
    /// One daemon with its configuration file and a record of its logs.
    struct Harness {
        let directory: TemporaryDirectory
        let daemon: DelegateDaemon
        let recorder: LogRecorder
        let http: CurlHTTPClient
        var configurationPath: String { directory.path("delegate.toml") }

        /// The host's name as a reload sees it: "reload" until a test renames the host.
        let host = HostName()
        /// The level the process's handlers would read (these loggers record at every level).
        let logLevel: LogLevelSetting

        init(_ toml: String, inheritedSockets: Bool = false, environment: [String: String] = [:]) throws {
            directory = try TemporaryDirectory(prefix: "reload")
            recorder = LogRecorder()
            let logger = recorder.logger()
            http = try CurlHTTPClient(configuration: .init(environment: [:]), logger: logger)
            try Data(toml.utf8).write(to: URL(fileURLWithPath: directory.path("delegate.toml")))
            let configuration = try DelegateConfiguration.load(
                path: directory.path("delegate.toml"), requireFile: true, environment: environment, hostName: "reload")
            let host = host
            logLevel = LogLevelSetting(configuration.delegate.level)
            daemon = try DelegateDaemon(
                settings: .init(
                    configuration: configuration, configurationPath: directory.path("delegate.toml"), environment: environment,
                    hostName: "reload", currentHostName: { host.name.withLock { $0 } },
                    // Never served: the reload only looks at whether systemd passed them.
                    inheritedSocket: inheritedSockets ? -1 : nil,
                    inheritedCredentialsSocket: inheritedSockets ? -1 : nil,
                    logLevel: logLevel),
                notifier: SilentNotifier(), logger: logger, httpClient: http)
        }

        func reload(_ toml: String) async throws {
            try Data(toml.utf8).write(to: URL(fileURLWithPath: configurationPath))
            await daemon.reload(DelegateDaemon.Intake())
        }

        /// Log records since the `since`-th one.
        func records(since: Int) -> [String] { Array(recorder.records.dropFirst(since)) }
    }

    static func configuration(
        name: String? = "reload-test", tags: [String] = ["alpha"], spoolDir: String = "", endpoint: String = "",
        imdsEndpoint: String = "http://127.0.0.1:9"
    ) -> String {
        """
        [delegate]
        \(name.map { "name = \"\($0)\"" } ?? "")
        tags = [\(tags.map { "\"\($0)\"" }.joined(separator: ", "))]
        accept_untagged = false

        [queue]
        spool_dir = "\(spoolDir)"
        socket_path = ""

        [aws]
        secretsmanager_endpoint = "\(endpoint)"
        imds_endpoint = "\(imdsEndpoint)"
        max_attempts = 1

        [identity]
        sources = ["imds"]

        [credentials]
        directory = ""
        """
    }

    /// A daemon started on the default path while no file was there (drop-ins only) reloads as it
    /// started: the defaults, the environment and connectors.d next to the path.
    @Test func aDaemonStartedWithoutItsDefaultFileStillReloadsItsDropIns() async throws {
        let directory = try TemporaryDirectory(prefix: "reload-no-file")
        let dropIns = directory.path("connectors.d")
        try FileManager.default.createDirectory(atPath: dropIns, withIntermediateDirectories: true)
        let path = directory.path("delegate.toml")  // never written
        let environment = ["SECRETS_DELEGATE_QUEUE_SOCKET_PATH": "", "SECRETS_DELEGATE_QUEUE_SPOOL_DIR": ""]
        let configuration = try DelegateConfiguration.load(
            path: path, requireFile: false, environment: environment, hostName: "no-file")
        #expect(configuration.connectors.isEmpty)
        let http = try CurlHTTPClient(configuration: .init(environment: [:]), logger: Logger(label: "test"))
        let daemon = try DelegateDaemon(
            settings: .init(
                configuration: configuration, configurationPath: path, configurationRequired: false,
                environment: environment),
            notifier: SilentNotifier(), logger: LogRecorder().logger(), httpClient: http)
        try "region = \"us-west-2\"\ncredentials = { type = \"instanceRole\" }\noperations = [\"getSecretValue\"]\n"
            .write(toFile: dropIns + "/ci.toml", atomically: true, encoding: .utf8)
        await daemon.reload(DelegateDaemon.Intake())
        #expect(daemon.configuration.current.connectors.keys.sorted() == ["ci"])
    }

    @Test func aReloadedIMDSEndpointSignsTheNextTaskWithItsCredentials() async throws {
        let expiration = Date().addingTimeInterval(3600)
        let oldIMDS = try IMDSServer(
            credentials: Credentials(
                accessKeyId: "ASIAOLDIMDS", secretAccessKey: "old-imds-secret", sessionToken: "old"),
            expiration: expiration)
        let newIMDS = try IMDSServer(
            credentials: Credentials(
                accessKeyId: "ASIANEWIMDS", secretAccessKey: "new-imds-secret", sessionToken: "new"),
            expiration: expiration)
        let secretsManager = try LoopbackHTTPServer { _ in
            DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
        }
        defer {
            oldIMDS.stop()
            newIMDS.stop()
            secretsManager.stop()
        }
        let harness = try Harness(
            Self.configuration(endpoint: secretsManager.baseURL, imdsEndpoint: oldIMDS.baseURL))
        defer { harness.http.shutdown() }
        let task = try DelegateTask.decode(
            Data(
                try DaemonTestFixtures.task(
                    id: "imds", operation: "getSecretValue", params: ["name": "app"],
                    credentials: #"{"type":"instanceRole"}"#
                ).utf8),
            defaultID: nil)
        let logger = harness.recorder.logger()

        let before = await harness.daemon.dispatcher.execute(task, receivedAt: Date(), logger: logger)
        #expect(before.status == .succeeded, "\(before.error?.message ?? "")")
        #expect(signingKey(of: secretsManager.recordedRequests.last) == "ASIAOLDIMDS")

        try await harness.reload(Self.configuration(endpoint: secretsManager.baseURL, imdsEndpoint: newIMDS.baseURL))

        let after = await harness.daemon.dispatcher.execute(task, receivedAt: Date(), logger: logger)
        #expect(after.status == .succeeded, "\(after.error?.message ?? "")")
        // The old endpoint's credentials were still valid for an hour: only a new identity
        // keeps them from being served.
        #expect(signingKey(of: secretsManager.recordedRequests.last) == "ASIANEWIMDS")
        #expect(oldIMDS.counts.credentialGETs == 1)
        #expect(newIMDS.counts.credentialGETs == 1)
        #expect(
            harness.recorder.records.contains {
                $0.contains("event=reloaded") && $0.contains("changed=aws.imds_endpoint")
            })
    }

    /// A connection cap lowered to a share of the open file limit is warned of once, not again at
    /// every reload that leaves it so; a change of what is configured is warned of again.
    @Test func aLoweredConnectionCapIsWarnedOfOnce() throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        func warnings() -> Int {
            harness.recorder.records.filter { $0.contains("socket_max_connections is lowered") }.count
        }
        let huge = Int(Int32.max)
        let cap = harness.daemon.connectionCap(huge, share: 2, of: "the task socket")
        #expect(cap < huge)
        #expect(warnings() == 1)
        #expect(harness.daemon.connectionCap(huge, share: 2, of: "the task socket") == cap)
        #expect(warnings() == 1, "the same cap lowered the same way again: no new warning")
        _ = harness.daemon.connectionCap(huge, share: 8, of: "the credentials socket")
        #expect(warnings() == 2, "another socket's")
        _ = harness.daemon.connectionCap(huge - 1, share: 2, of: "the task socket")
        #expect(warnings() == 3, "configured otherwise")
        _ = harness.daemon.connectionCap(1, share: 2, of: "the task socket")
        _ = harness.daemon.connectionCap(huge - 1, share: 2, of: "the task socket")
        #expect(warnings() == 4, "lowered again after a reload that did not lower it")
    }

    /// The cap leaves the descriptors the delegate keeps for itself out of the share: half of
    /// what the limit leaves beyond them.
    @Test func theConnectionCapLeavesTheDelegatesOwnDescriptors() throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        let limit = try FileDescriptorLimit.current().soft
        try #require(limit > DelegateDaemon.reservedDescriptors + 2, "an open file limit of \(limit) leaves no room")
        let cap = harness.daemon.connectionCap(Int(Int32.max), share: 2, of: "the task socket")
        #expect(UInt64(cap) == (limit - DelegateDaemon.reservedDescriptors) / 2, "limit \(limit)")
    }

    /// A limit that leaves fewer than 8 descriptors beyond those the delegate keeps says the
    /// delegate cannot work (tasks fail with EMFILE), and still serves one connection; one that
    /// leaves 8 only lowers the cap.
    @Test func aLimitTooLowToWorkIsSaidSo() throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        let reserved = DelegateDaemon.reservedDescriptors
        func lines() -> [String] { harness.recorder.records.filter { $0.contains("socket_max_connections is lowered") } }
        #expect(harness.daemon.connectionCap(256, share: 2, of: "the task socket", openFilesLimit: reserved + 7) == 3)
        #expect(lines().count == 1)
        #expect(lines().last?.contains("too few descriptors to work (tasks fail with EMFILE): raise it") == true)
        #expect(lines().last?.contains("open_files_limit=\(reserved + 7)") == true)
        #expect(harness.daemon.connectionCap(256, share: 8, of: "the credentials socket", openFilesLimit: 10) == 1)
        #expect(lines().last?.contains("too few descriptors") == true)
        #expect(harness.daemon.connectionCap(256, share: 2, of: "a third", openFilesLimit: reserved + 8) == 4)
        #expect(lines().count == 3)
        #expect(lines().last?.contains("too few descriptors") == false)
    }

    /// Credential files are kept while unchanged; a reload, even one that changes nothing, reads
    /// them all again (a new store, with an empty cache).
    @Test func aReloadStartsANewCredentialFileCache() async throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        let registry = harness.daemon.components.registry
        let before = registry.refStore.cacheIdentity
        try await harness.reload(Self.configuration())
        #expect(registry.refStore.cacheIdentity != before)
    }

    @Test func aReloadedTagSelectsTasksAtOnce() async throws {
        let harness = try Harness(Self.configuration(tags: ["alpha"]))
        defer { harness.http.shutdown() }
        #expect(harness.daemon.dispatcher.matches(["beta"]) == .reject(missing: ["beta"]))

        try await harness.reload(Self.configuration(tags: ["beta"]))

        #expect(harness.daemon.dispatcher.matches(["beta"]) == .accept)
        #expect(harness.daemon.dispatcher.matches(["alpha"]) == .reject(missing: ["alpha"]))
        #expect(await harness.daemon.statusLine().hasSuffix("tags beta"))
        // A failing SQS queue leads the line (systemctl status shows its start).
        harness.daemon.sqsStatus.update("https://sqs.us-east-1.amazonaws.com/1/tasks") {
            $0.errors["ReceiveMessage"] = "ReceiveMessage: AccessDenied: not allowed"
        }
        let line = await harness.daemon.statusLine()
        #expect(line.hasPrefix("SQS queue failing: https://sqs.us-east-1.amazonaws.com/1/tasks (ReceiveMessage: AccessDenied"), "\(line)")
        #expect(line.hasSuffix("tags beta"), "\(line)")
        #expect(
            harness.recorder.records.contains { $0.contains("event=reloaded") && $0.contains("changed=delegate.tags") })
    }

    /// `[delegate] log_level` applies at a reload, to every logger at once (the one setting
    /// their handlers read); a refused reload leaves it as it was.
    @Test func aReloadedLogLevelAppliesAtOnce() async throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        #expect(harness.logLevel.level == .info)
        try await harness.reload(
            Self.configuration().replacingOccurrences(of: "[delegate]\n", with: "[delegate]\nlog_level = \"debug\"\n"))
        #expect(harness.logLevel.level == .debug)
        // A notice, written at log_level = "notice" too: scripts wait for it.
        #expect(
            harness.recorder.records.contains {
                $0.hasPrefix("notice configuration reloaded") && $0.contains("changed=delegate.log_level")
            },
            "\(harness.recorder.records)")
        try await harness.reload(
            Self.configuration().replacingOccurrences(of: "[delegate]\n", with: "[delegate]\nlog_level = \"loud\"\n"))
        #expect(harness.logLevel.level == .debug, "a refused reload changes nothing")
        try await harness.reload(
            Self.configuration().replacingOccurrences(of: "[delegate]\n", with: "[delegate]\nlog_level = \"warning\"\n")
        )
        #expect(harness.logLevel.level == .warning)
        try await harness.reload(Self.configuration())
        #expect(harness.logLevel.level == .info, "left out, the default again")
    }

    /// A key the file sets that a variable overrides is warned of at a reload (an edit of it in
    /// the file changed nothing, and the reload said nothing); the variable's value is not quoted.
    @Test func aReloadWarnsOfFileKeysAVariableOverrides() async throws {
        let withLevel = Self.configuration().replacingOccurrences(
            of: "[delegate]\n", with: "[delegate]\nlog_level = \"warning\"\n")
        let harness = try Harness(withLevel, environment: ["SECRETS_DELEGATE_DELEGATE_LOG_LEVEL": "debug"])
        defer { harness.http.shutdown() }
        try await harness.reload(withLevel.replacingOccurrences(of: "\"warning\"", with: "\"error\""))
        let warnings = harness.recorder.records.filter { $0.contains("event=keys-overridden") }
        #expect(warnings.count == 1, "\(harness.recorder.records)")
        #expect(warnings.first?.hasPrefix("warning ") == true)
        #expect(warnings.first?.contains("[delegate] log_level by SECRETS_DELEGATE_DELEGATE_LOG_LEVEL") == true)
        #expect(warnings.first?.contains("debug") == false, "the value is not quoted")
        #expect(harness.logLevel.level == .debug, "the variable wins")
        // Without the key in the file, nothing is overridden.
        try await harness.reload(Self.configuration())
        #expect(harness.recorder.records.filter { $0.contains("event=keys-overridden") }.count == 1)
    }

    @Test func aChangedSpoolDirIsNamedAsWaitingForARestartAndAnUnchangedReloadNamesNothing() async throws {
        let harness = try Harness(Self.configuration(spoolDir: "/var/tmp/reload-spool-a"))
        defer { harness.http.shutdown() }
        let warning = "reload: these keys change only at a restart and keep their running values:"

        var seen = harness.recorder.records.count
        try await harness.reload(Self.configuration(spoolDir: "/var/tmp/reload-spool-b"))
        let changed = harness.records(since: seen).filter { $0.contains(warning) }
        #expect(changed.count == 1)
        #expect(changed.first?.hasPrefix("warning ") == true)
        #expect(changed.first?.contains("\(warning) queue.spool_dir; queue.spool_dir: what the running spool holds") == true)
        #expect(changed.first?.contains("delegate.name") == false)
        #expect(harness.daemon.configuration.current.queue.spoolDir == "/var/tmp/reload-spool-a")
        #expect(harness.records(since: seen).contains { $0.contains("event=reloaded") && $0.contains("changed=none") })

        // The running spool is still the old one, so the same file warns again.
        seen = harness.recorder.records.count
        try await harness.reload(Self.configuration(spoolDir: "/var/tmp/reload-spool-b"))
        #expect(harness.records(since: seen).filter { $0.contains(warning) }.count == 1)

        // Back to the running values, plus a change a reload applies: no warning at all.
        seen = harness.recorder.records.count
        try await harness.reload(Self.configuration(tags: ["beta"], spoolDir: "/var/tmp/reload-spool-a"))
        let unchanged = harness.records(since: seen)
        #expect(!unchanged.contains { $0.contains(warning) || $0.contains("restart") })
        #expect(unchanged.contains { $0.contains("event=reloaded") && $0.contains("changed=delegate.tags") })
    }

    /// A file that drops its `name` changes the name to the host's at the next start: a reload
    /// names it among the keys that wait for a restart, and keeps the running name.
    @Test func aRemovedNameIsNamedAsWaitingForARestart() async throws {
        let harness = try Harness(Self.configuration(name: "reload-test"))
        defer { harness.http.shutdown() }

        try await harness.reload(Self.configuration(name: nil))

        #expect(harness.recorder.records.contains {
            $0.contains("reload: these keys change only at a restart and keep their running values: delegate.name")
        }, "\(harness.recorder.records)")
        #expect(harness.daemon.configuration.current.delegate.name == "reload-test")
    }

    /// A host renamed while the file sets no `name` changes the delegate's name at the next start:
    /// a reload names it, says what follows, and keeps the running name.
    @Test func aRenamedHostIsNamedAsWaitingForARestart() async throws {
        let harness = try Harness(Self.configuration(name: nil))
        defer { harness.http.shutdown() }
        try await harness.reload(Self.configuration(name: nil, tags: ["beta"]))
        #expect(!harness.recorder.records.contains { $0.contains("restart_keys=") }, "the host is as it was")

        harness.host.name.withLock { $0 = "web02" }
        try await harness.reload(Self.configuration(name: nil, tags: ["beta"]))
        let warning = try #require(harness.recorder.records.first { $0.contains("restart_keys=delegate.name") })
        #expect(warning.contains("follows the host's name, web02 now") && warning.contains("set [delegate] name"), "\(warning)")
        #expect(harness.daemon.configuration.current.delegate.name == "reload")

        // A host name that could be no delegate's: the reload goes on under the start's.
        harness.host.name.withLock { $0 = "web 03" }
        try await harness.reload(Self.configuration(name: nil, tags: ["gamma"]))
        #expect(!harness.recorder.records.contains { $0.contains("reload refused") }, "\(harness.recorder.records)")
        #expect(harness.daemon.configuration.current.delegate.tags.contains("gamma"))

        // A name the file sets is the file's: no note of the host.
        let named = try Harness(Self.configuration(name: "reload-test"))
        defer { named.http.shutdown() }
        named.host.name.withLock { $0 = "web02" }
        try await named.reload(Self.configuration(name: "reload-test", tags: ["beta"]))
        #expect(!named.recorder.records.contains { $0.contains("restart_keys=") }, "\(named.recorder.records)")
    }

    /// A `connectors_dir` the file names that does not exist (a mount not up yet) is said at each
    /// reload, as at the start; one that exists, or the default beside the file, says nothing.
    @Test func aMissingConnectorsDirectoryTheFileNamesIsWarnedOf() async throws {
        let harness = try Harness(Self.configuration())
        defer { harness.http.shutdown() }
        let missing = harness.directory.path("not-mounted/connectors.d")
        func named(_ directory: String) -> String {
            Self.configuration().replacingOccurrences(of: "[delegate]\n", with: "[delegate]\nconnectors_dir = \"\(directory)\"\n")
        }
        try await harness.reload(named(missing))
        let warned = harness.recorder.records.filter { $0.contains("event=connectors-dir-missing") }
        #expect(warned.count == 1 && warned.first?.hasPrefix("warning ") == true, "\(harness.recorder.records)")
        #expect(warned.first?.contains("RequiresMountsFor=\(missing)") == true, "\(warned)")

        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: true)
        try await harness.reload(named(missing))
        try await harness.reload(Self.configuration())
        #expect(harness.recorder.records.filter { $0.contains("event=connectors-dir-missing") }.count == 1)
    }

    /// Keys a restart alone does not carry over say so: the old spool's contents, and sockets
    /// systemd passes (their socket units' ListenStream=), but only when it passes them.
    @Test(arguments: [true, false]) func restartNotesSayWhatARestartAloneDoesNot(inherited: Bool) async throws {
        let harness = try Harness(Self.configuration(), inheritedSockets: inherited)
        defer { harness.http.shutdown() }
        let notes = harness.daemon.restartNotes(
            waiting: ["queue.spool_dir", "queue.socket_path", "queue.credentials_socket_path"],
            loaded: harness.daemon.configuration.current, hostName: "reload")
        #expect(notes.contains { $0.hasPrefix("queue.spool_dir:") && $0.contains("move it") }, "\(notes)")
        #expect(notes.contains { $0.contains("secrets-delegate.socket's ListenStream=") } == inherited, "\(notes)")
        #expect(notes.contains { $0.contains("secrets-delegate-credentials.socket's ListenStream=") } == inherited, "\(notes)")
        #expect(notes.count == (inherited ? 3 : 1))
    }

    /// RESTART_KEYS lists the keys comma-separated, as the reloaded event's CHANGED does, so one
    /// split reads both (the message itself reads ", ").
    @Test func restartKeysAreCommaSeparatedAsChangedIs() async throws {
        let harness = try Harness(Self.configuration(name: "reload-test", spoolDir: "/var/tmp/reload-spool-a"))
        defer { harness.http.shutdown() }

        try await harness.reload(Self.configuration(name: nil, spoolDir: "/var/tmp/reload-spool-b"))

        let warning = try #require(harness.recorder.records.first { $0.contains("restart_keys=") })
        let keys = try #require(warning.split(separator: " ").first { $0.hasPrefix("restart_keys=") })
        #expect(keys == "restart_keys=delegate.name,queue.spool_dir" || keys == "restart_keys=queue.spool_dir,delegate.name", "\(warning)")
    }

    /// The `Credential=<access key id>/...` of a SigV4 `Authorization` header.
    private func signingKey(of request: RecordedRequest?) -> String? {
        guard let authorization = request?.headers["Authorization"],
            let start = authorization.range(of: "Credential=")
        else { return nil }
        return String(authorization[start.upperBound...].prefix { $0 != "/" })
    }
}

/// A notifier for daemons that no service manager watches.
struct SilentNotifier: ServiceNotifier {
    func ready() {}
    func reloading() {}
    func stopping() {}
    func status(_ text: String) {}
    func watchdog() {}
    var watchdogInterval: Duration? { nil }
}

/// A host name a test changes.
final class HostName: Sendable {
    let name = Mutex("reload")
}
