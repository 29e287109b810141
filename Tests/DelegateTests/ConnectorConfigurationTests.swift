import AWSCredentials
import Foundation
import Testing
import TestSupport

@testable import Delegate

/// `[connectors.<id>]` tables, `connectors.d/<id>.toml` drop-ins and their keys (section 9).
@Suite struct ConnectorConfigurationTests {
    static let full = """
        [delegate]
        allow_inline_connectors = false

        [connectors.prod]
        region = "us-east-1"
        secret_name_prefix = "/devops/"
        delegate_selectors = ["prod"]
        credentials = { type = "assumeRole", role_arn = "arn:aws:iam::123456789012:role/sm", external_id = "ext-7f3a", duration_seconds = 900 }
        operations = ["getSecretValue", "describeSecret", "listSecrets"]
        allowed_users = ["deploy", 1001]
        allowed_groups = ["app", "4294967294"]
        allowed_units = ["app.service"]
        allowed_queues = ["https://sqs.us-east-1.amazonaws.com/123456789012/tasks"]
        require_sealed_results = true
        cache_ttl_seconds = 3600
        cache_stale_seconds = 600
        """

    func load(_ toml: String, path: String? = nil) throws(ConfigurationError) -> DelegateConfiguration {
        try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "host-a", path: path)
    }

    /// A connector of another region than a regional `[aws] secretsmanager_endpoint` serves is a
    /// configuration error naming both; the same region, or an emulator's host, is not.
    @Test func aConnectorOutsideTheSecretsManagerOverridesRegionIsRefused() throws {
        func configuration(endpoint: String) -> String {
            """
            [aws]
            secretsmanager_endpoint = "\(endpoint)"

            [connectors.prod]
            region = "eu-west-1"
            credentials = { type = "instanceRole" }
            """
        }
        let error = #expect(throws: ConfigurationError.self) {
            try load(configuration(endpoint: "https://secretsmanager.us-east-1.amazonaws.com"))
        }
        #expect(error?.key == "[aws] secretsmanager_endpoint")
        #expect(
            error?.reason.contains(
                "is Secrets Manager in us-east-1, which serves that region's secrets only, and the connector is in "
                    + "eu-west-1 ([connectors.prod])") == true, "\(error?.reason ?? "")")
        _ = try load(configuration(endpoint: "https://secretsmanager.eu-west-1.amazonaws.com"))
        _ = try load(configuration(endpoint: "http://127.0.0.1:4566"))

        // A drop-in connector too, named by its file.
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        try "region = \"us-west-2\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: directory.path("connectors.d/ci.toml"), atomically: true, encoding: .utf8)
        let file = directory.path("delegate.toml")
        try "[aws]\nsecretsmanager_endpoint = \"https://secretsmanager.us-east-1.amazonaws.com\"\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let dropIn = #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "host-a")
        }
        #expect(
            dropIn?.reason.contains("the connector is in us-west-2 (\(directory.path("connectors.d/ci.toml")))")
                == true, "\(dropIn?.reason ?? "")")
    }

    /// A template as systemd reads a unit name: its first `@` right before its last `.`; an
    /// instance string may hold more `@`.
    @Test func aTemplateIsTheNameSystemdReadsAsOne() {
        #expect(NamedConnector.isTemplate("app@.service"))
        #expect(NamedConnector.isTemplate("app@.timer"))
        #expect(!NamedConnector.isTemplate("app@1.service"))
        #expect(!NamedConnector.isTemplate("a@b@.service"))
        #expect(!NamedConnector.isTemplate("app.service"))
    }

    /// An `allowed_*` list given empty counts as set: left empty after revoking the last user, it
    /// admits root only, not everyone (fail closed, as "any set: only those, and root" says);
    /// `check-config` shows the lists of such a connector, and none for one open to everyone.
    @Test func anEmptyAllowedListGivenAdmitsRootOnly() throws {
        let configuration = try load(
            """
            [connectors.deploy]
            region = "us-east-1"
            credentials = { type = "instanceRole" }
            allowed_users = []

            [connectors.open]
            region = "us-east-1"
            credentials = { type = "instanceRole" }
            """)
        let deploy = try #require(configuration.connectors["deploy"])
        let open = try #require(configuration.connectors["open"])
        #expect(deploy.policy.restrictsPrincipals && !open.policy.restrictsPrincipals)
        let catalog = ConnectorCatalog(connectors: ["deploy": deploy, "open": open])
        for (id, refused) in [("deploy", true), ("open", false)] {
            let task = try DelegateTask.decode(
                ConnectorPolicyTests.task(connector: .string(id)), defaultID: nil,
                connectors: [id: id == "deploy" ? deploy : open])
            #expect(
                (catalog.refusal(of: task, by: ConnectorPolicyTests.nobody)?.code == .notAuthorized) == refused, "\(id)"
            )
            #expect(catalog.refusal(of: task, by: TaskPrincipal(intake: .spool, uid: 0)) == nil, "\(id): root")
            #expect(
                (catalog.refusal(of: task, by: .systemdUnit("app.service", helperUID: 0)) != nil) == refused,
                "\(id): a unit")
        }
        #expect(deploy.renderTOML().contains("allowed_users = []"))
        #expect(!open.renderTOML().contains { $0.hasPrefix("allowed_") }, "\(open.renderTOML())")
        // Rendered and read back, each admits what it did.
        for named in [deploy, open] {
            let again = try load(named.renderTOML().joined(separator: "\n"))
            #expect(again.connectors[named.id]?.policy == named.policy, "\(named.id)")
        }
    }

    /// A connector id may not start with `.` (its drop-in would be a hidden file, skipped), and
    /// the refusal says so.
    @Test func aConnectorIdStartingWithADotIsRefusedSayingWhy() throws {
        let error = try #require(
            refusal("[connectors.\".ci\"]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }"))
        #expect(error.reason.contains("not starting with '.'"), "\(error)")
    }

    /// The error `toml` (one `[connectors.x]` table) is refused with.
    func refusal(_ toml: String) -> ConfigurationError? {
        do {
            _ = try load(toml)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try load(Self.full)
        #expect(configuration.delegate.allowInlineConnectors == false)
        let prod = try #require(configuration.connectors["prod"])
        #expect(
            prod.connector
                == Connector(
                    id: "prod", region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: ["prod"],
                    credentials: .assumeRole(
                        AssumeRoleCredentials(
                            roleARN: "arn:aws:iam::123456789012:role/sm", externalID: "ext-7f3a", durationSeconds: 900))
                ))
        #expect(
            prod.policy
                == ConnectorPolicy(
                    operations: [.getSecretValue, .describeSecret, .listSecrets], allowedUsers: ["deploy", "1001"],
                    allowedGroups: ["app", "4294967294"], allowedUnits: ["app.service"],
                    allowedQueues: ["https://sqs.us-east-1.amazonaws.com/123456789012/tasks"],
                    requireSealedResults: true, cacheTTLSeconds: 3600, cacheStaleSeconds: 600))
        #expect(prod.origin == "[connectors.prod]")
    }

    @Test func defaults() throws {
        let configuration = try load(
            """
            [connectors.home]
            region = "eu-west-1"
            credentials = { type = "instanceRole" }
            """)
        #expect(configuration.delegate.allowInlineConnectors == true)
        #expect(configuration.delegate.connectorsDir == "")
        let home = try #require(configuration.connectors["home"])
        #expect(home.connector.credentials == .instanceRole)
        #expect(home.connector.secretNamePrefix == "")
        #expect(home.connector.delegateSelectors == [])
        #expect(home.policy == ConnectorPolicy())
        #expect(home.policy.restrictsPrincipals == false)
        #expect(try load("").connectors.isEmpty)
    }

    @Test func accessKeyCredentials() throws {
        let configuration = try load(
            """
            [connectors.a]
            region = "us-east-1"
            credentials = { type = "accessKey", access_key_id = "AKIAEXAMPLE", secret_access_key_ref = "a-secret", session_token_ref = "a-token" }
            [connectors.b]
            region = "us-east-1"
            credentials = { type = "accessKey", access_key_id_ref = "b-id", secret_access_key_ref = "b-secret" }
            """)
        #expect(
            configuration.connectors["a"]?.connector.credentials
                == .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .plain("AKIAEXAMPLE"), secretAccessKeyRef: "a-secret", sessionTokenRef: "a-token"))
        )
        #expect(
            configuration.connectors["b"]?.connector.credentials
                == .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .ref("b-id"), secretAccessKeyRef: "b-secret", sessionTokenRef: nil)))
    }

    /// Each broken table, and what the error must name. The credential checks are the task
    /// decoder's, in the file's spelling.
    @Test(arguments: [
        ("region = \"mars-1\"\ncredentials = { type = \"instanceRole\" }", "region"),
        ("credentials = { type = \"instanceRole\" }", "region"),
        ("region = \"us-east-1\"", "credentials"),
        ("region = \"us-east-1\"\ncredentials = \"instanceRole\"", "credentials"),
        ("region = \"us-east-1\"\ncredentials = { type = \"magic\" }", "credentials.type"),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"nope\" }",
            "credentials.role_arn"
        ),
        ("region = \"us-east-1\"\ncredentials = { type = \"assumeRole\" }", "credentials.role_arn"),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"arn:aws:iam::123456789012:role/r\", duration_seconds = 60 }",
            "credentials.duration_seconds"
        ),
        // A float, even a whole one, as for cache_ttl_seconds: whole seconds.
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"arn:aws:iam::123456789012:role/r\", duration_seconds = 3600.0 }",
            "credentials.duration_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"arn:aws:iam::123456789012:role/r\", external_id = \"x\" }",
            "credentials.external_id"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", roleArn = \"arn:aws:iam::123456789012:role/r\" }",
            "roleArn"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"accessKey\", secret_access_key = \"hunter2\" }",
            "secret_access_key"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"accessKey\", access_key_id = \"AKIA\" }",
            "credentials.secret_access_key_ref"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"accessKey\", access_key_id = \"AKIA\", secret_access_key_ref = \"../x\" }",
            "credentials.secret_access_key_ref"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\", role_arn = \"arn:aws:iam::123456789012:role/r\" }",
            "credentials.role_arn"
        ),
        (
            "region = \"us-east-1\"\nsecret_name_prefix = \"bad prefix!\"\ncredentials = { type = \"instanceRole\" }",
            "secret_name_prefix"
        ),
        (
            "region = \"us-east-1\"\nsecret_name_prefix = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:team\"\n"
                + "credentials = { type = \"instanceRole\" }",
            "secret_name_prefix"
        ),
        (
            "region = \"us-east-1\"\ndelegate_selectors = [1]\ncredentials = { type = \"instanceRole\" }",
            "delegate_selectors"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\noperations = [\"getSecret\"]",
            "operations"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\noperations = \"getSecretValue\"",
            "operations"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\noperations = [\"listSecrets\", \"listSecrets\"]",
            "operations"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_users = [\"bad user\"]",
            "allowed_users"
        ),
        ("region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_users = [-1]", "allowed_users"),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_groups = \"app\"",
            "allowed_groups"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_units = [\"noextension\"]",
            "allowed_units"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_units = [\"app.service\", \"app.service\"]",
            "allowed_units"
        ),
        // A template never asks: systemd asks with its instances' names.
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_units = [\"app@.service\"]",
            "allowed_units"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_users = [\"4294967295\"]",
            "allowed_users"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_groups = [\"99999999999\"]",
            "allowed_groups"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_queues = [\"http://q\"]",
            "allowed_queues"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_queues = [\"https://deploy:hunter2@sqs.us-east-1.amazonaws.com/123456789012/q\"]",
            "allowed_queues"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_queues = [\"https://\"]",
            "allowed_queues"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_queues = [\"https://sqs.us-east-1.amazonaws.com/123456789012/q \"]",
            "allowed_queues"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nrequire_sealed_results = \"yes\"",
            "require_sealed_results"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_ttl_seconds = 3601",
            "cache_ttl_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_ttl_seconds = -1",
            "cache_ttl_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_ttl_seconds = 1.5",
            "cache_ttl_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_stale_seconds = 86401",
            "cache_stale_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_stale_seconds = -1",
            "cache_stale_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\ncache_stale_seconds = \"60\"",
            "cache_stale_seconds"
        ),
        (
            "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nsecretNamePrefix = \"x\"",
            "secretNamePrefix"
        ),
    ])
    func aBrokenConnectorNamesItselfAndTheKey(body: String, key: String) throws {
        let error = try #require(refusal("[connectors.broken]\n" + body))
        #expect(error.description.contains("[connectors.broken]"), "\(error)")
        #expect(error.description.contains(key), "\(error)")
        #expect(!error.description.contains("hunter2"))
        #expect(!error.description.contains("connector.credentials"), "task spelling leaked: \(error)")
    }

    @Test func badConnectorIDsAndShapes() throws {
        let badID = try #require(
            refusal("[connectors.\"a b\"]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }"))
        #expect(badID.description.contains("connector id"))
        let notTable = try #require(refusal("connectors = 1"))
        #expect(notTable.description.contains("connectors"))
        let notTable2 = try #require(refusal("[connectors]\nprod = 1"))
        #expect(notTable2.description.contains("[connectors.prod]"))
        let inlineFlag = try #require(refusal("[delegate]\nallow_inline_connectors = \"no\""))
        #expect(inlineFlag.key == "[delegate] allow_inline_connectors")
        let dir = try #require(refusal("[delegate]\nconnectors_dir = \"relative\""))
        #expect(dir.key == "[delegate] connectors_dir")
        // A named connector's selectors are bounded as a task's are.
        let selectors = (0...64).map { "\"s\($0)\"" }.joined(separator: ", ")
        let many = try #require(
            refusal(
                "[connectors.prod]\nregion = \"us-east-1\"\ndelegate_selectors = [\(selectors)]\ncredentials = { type = \"instanceRole\" }"
            ))
        #expect(many.description.contains("delegate_selectors has 65 selectors; the limit is 64"), "\(many)")
        // A blank one is refused, not ignored (the connector would be every delegate's).
        let blank = try #require(
            refusal(
                "[connectors.prod]\nregion = \"us-east-1\"\ndelegate_selectors = [\"\"]\ncredentials = { type = \"instanceRole\" }"
            ))
        #expect(blank.description.contains("delegate_selectors[0] is blank"), "\(blank)")
        // So is one no delegate's tag could be: its tasks would be left by every delegate.
        let joined = try #require(
            refusal(
                "[connectors.prod]\nregion = \"us-east-1\"\ndelegate_selectors = [\"aws,prod\"]\ncredentials = { type = \"instanceRole\" }"
            ))
        #expect(joined.description.contains("delegate_selectors[0] contains a comma"), "\(joined)")
    }

    /// A directory service's group (SSSD or AD: `Domain Users`, `admins@corp.example.com`) is no
    /// name the delegate takes: the message says to name it by its number.
    @Test func aDirectoryServicesNameIsRefusedSayingToUseItsNumber() throws {
        for name in ["Domain Users", "admins@corp.example.com"] {
            do {
                _ = try load(
                    "[connectors.x]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nallowed_groups = [\"\(name)\"]"
                )
                Issue.record("accepted \(name)")
            } catch {
                #expect(error.description.contains("allowed_groups"), "\(error)")
                #expect(error.description.contains("by its number (getent group NAME)"), "\(error)")
                #expect(error.description.contains("entry 1 \"\(name)\" must be"), "the entry is named: \(error)")
            }
        }
    }

    @Test func theFilesPathIsNamedWhenKnown() throws {
        do {
            _ = try load("[connectors.x]\nregion = \"us-east-1\"", path: "/nonexistent-dir/delegate.toml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("/nonexistent-dir/delegate.toml [connectors.x] credentials"))
        }
    }

    /// Drop-ins are chosen by their names' bytes, as `ls` shows them: a name whose dot joins the
    /// character before (U+0600 prepends) still ends in `.toml` and is read (here refused, its id
    /// invalid, rather than left out in silence); one starting with a dot and a combining mark is
    /// hidden, and skipped.
    @Test func dropInsAreChosenByTheBytesOfTheirNames() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        let file = directory.path("delegate.toml")
        try "[connectors.prod]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let connector = "region = \"us-west-2\"\ncredentials = { type = \"instanceRole\" }\n"

        try "broken".write(toFile: directory.path("connectors.d/.\u{0301}x.toml"), atomically: true, encoding: .utf8)
        let skipped = try DelegateConfiguration.load(
            path: file, requireFile: true, environment: [:], hostName: "host-a")
        #expect(skipped.connectors.keys.sorted() == ["prod"])

        let joined = directory.path("connectors.d/a\u{0600}.toml")
        try connector.write(toFile: joined, atomically: true, encoding: .utf8)
        do {
            _ = try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "host-a")
            Issue.record("a drop-in ending in .toml by its bytes was passed over")
        } catch {
            #expect("\(error)".contains("connector id"), "\(error)")
        }
    }

    /// A drop-in whose name is not UTF-8 (listed with U+FFFD, a name no file has) is refused
    /// naming it, not read as gone and its connector left out in silence.
    @Test func aDropInNamedInBytesThatAreNotUTF8IsRefused() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        let file = directory.path("delegate.toml")
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let path = Array(directory.path("connectors.d/p").utf8) + [0xFF] + Array("x.toml".utf8) + [0]
        let fd = path.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        #expect(fd >= 0)
        let text = "region = \"us-west-2\"\ncredentials = { type = \"instanceRole\" }\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        do {
            let loaded = try DelegateConfiguration.load(
                path: file, requireFile: true, environment: [:], hostName: "host-a")
            Issue.record("loaded, with connectors \(loaded.connectors.keys.sorted())")
        } catch {
            #expect("\(error)".contains("is not UTF-8"), "\(error)")
        }
    }

    /// check-config warns of a connectors_dir the file names and that is missing, as the daemon
    /// does at its start; the configuration is still valid (status 0).
    @Test func checkConfigWarnsOfAMissingConnectorsDirectory() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("delegate.toml")
        try "[delegate]\nconnectors_dir = \"\(directory.path("gone"))\"\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let outcome = ConfigurationLoader(explicitPath: file, environment: [:], hostName: "host-a").check()
        #expect(outcome.status == 0)
        #expect(
            outcome.errorOutput.contains("connectors_dir \(directory.path("gone")) does not exist"),
            "\(outcome.errorOutput)")
        // One stderr line as every other: the program's name first, and the path shown escaped.
        #expect(outcome.errorOutput.hasPrefix("secrets-delegate: "), "\(outcome.errorOutput)")
        let odd = try TemporaryDirectory()
        let oddFile = odd.path("delegate.toml")
        try "[delegate]\nconnectors_dir = \"\(odd.path("gone\\u200Fdir"))\"\n".write(
            toFile: oddFile, atomically: true, encoding: .utf8)
        let escaped = ConfigurationLoader(explicitPath: oddFile, environment: [:], hostName: "host-a").check()
        #expect(
            escaped.errorOutput.contains("gone\\u{200f}dir") && !escaped.errorOutput.contains("\u{200F}"),
            "\(escaped.errorOutput)")
        let present = directory.path("here.toml")
        try "".write(toFile: present, atomically: true, encoding: .utf8)
        #expect(
            ConfigurationLoader(explicitPath: present, environment: [:], hostName: "host-a").check().errorOutput.isEmpty
        )
    }

    /// check-config says which keys of the file the environment overrides (an edit of them in
    /// the file changes nothing), as the daemon's start and reloads do; still valid (status 0).
    @Test func checkConfigWarnsOfFileKeysTheEnvironmentOverrides() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("delegate.toml")
        try "[delegate]\nlog_level = \"warning\"\nconcurrency = 8\n".write(toFile: file, atomically: true, encoding: .utf8)
        let outcome = ConfigurationLoader(
            explicitPath: file, environment: ["SECRETS_DELEGATE_DELEGATE_LOG_LEVEL": "debug"], hostName: "host-a"
        ).check()
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("log_level = \"debug\""), "\(outcome.output)")
        #expect(
            outcome.errorOutput.contains(
                "warning: the environment overrides what the configuration file sets for [delegate] log_level by "
                    + "SECRETS_DELEGATE_DELEGATE_LOG_LEVEL"),
            "\(outcome.errorOutput)")
        #expect(!outcome.errorOutput.contains("concurrency"), "\(outcome.errorOutput)")
    }

    /// A file in the connectors directory that is not read but looks meant as a drop-in
    /// (`ci-read.conf`, `ci-read.TOML`) is named by check-config (and the daemon's start and
    /// reloads); hidden files and editors' and dpkg's leftovers are not.
    @Test func dropInsPassedOverAreNamed() throws {
        let directory = try TemporaryDirectory()
        let connectors = directory.path("connectors.d")
        try FileManager.default.createDirectory(atPath: connectors, withIntermediateDirectories: true)
        #expect(chmod(connectors, 0o755) == 0)
        for name in ["ok.toml", "ci-read.conf", "ci-read.TOML", "ok.toml~", "x.toml.dpkg-old", ".hidden", "y.bak"] {
            try "region = \"eu-west-1\"\ncredentials = { type = \"instanceRole\" }\n".write(
                toFile: connectors + "/" + name, atomically: true, encoding: .utf8)
        }
        let file = directory.path("delegate.toml")
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "h")
        #expect(loaded.connectors.keys.sorted() == ["ok"])
        #expect(loaded.passedOverDropIns == .init(directory: connectors, names: ["ci-read.TOML", "ci-read.conf"]))
        let outcome = ConfigurationLoader(explicitPath: file, environment: [:], hostName: "h").check()
        #expect(outcome.status == 0)
        #expect(
            outcome.errorOutput
                == "secrets-delegate: warning: [delegate] connectors_dir \(connectors) holds ci-read.TOML, "
                + "ci-read.conf, not read as a connector: a drop-in is named <id>.toml",
            "\(outcome.errorOutput)")
    }

    @Test func dropInsAreReadFromConnectorsDNextToTheFile() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        try
            "region = \"us-west-2\"\nsecret_name_prefix = \"ci\"\ncredentials = { type = \"instanceRole\" }\noperations = [\"getSecretValue\"]\n"
            .write(toFile: directory.path("connectors.d/ci.toml"), atomically: true, encoding: .utf8)
        try "not toml at all [".write(toFile: directory.path("connectors.d/README"), atomically: true, encoding: .utf8)
        try "broken".write(toFile: directory.path("connectors.d/.hidden.toml"), atomically: true, encoding: .utf8)
        let file = directory.path("delegate.toml")
        try "[connectors.prod]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try DelegateConfiguration.load(
            path: file, requireFile: true, environment: [:], hostName: "host-a")
        #expect(configuration.connectors.keys.sorted() == ["ci", "prod"])
        #expect(configuration.connectors["ci"]?.connector.region == "us-west-2")
        #expect(configuration.connectors["ci"]?.policy.operations == [.getSecretValue])
        #expect(configuration.connectors["ci"]?.origin == directory.path("connectors.d/ci.toml"))

        // check-config's output, put in the file's place, loads back equal: the drop-in is
        // shown commented out (as a table it would be declared twice).
        let rendered = configuration.renderTOML()
        #expect(rendered.contains("# [connectors.\"ci\"]\n# region = \"us-west-2\""), "\(rendered)")
        try rendered.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(
            try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "host-a")
                == configuration)

        // A link to nothing is an error, not a connector left out in silence.
        #expect(symlink(directory.path("nowhere.toml"), directory.path("connectors.d/gone.toml")) == 0)
        do {
            _ = try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "host-a")
            Issue.record("a dangling drop-in link was passed over")
        } catch {
            #expect("\(error)" == directory.path("connectors.d/gone.toml") + ": is a symbolic link to nothing")
        }
        #expect(unlink(directory.path("connectors.d/gone.toml")) == 0)

        // A directory that cannot be reached is not a missing one: a loop of links, named as
        // connectors_dir, is an error rather than no drop-ins.
        #expect(symlink(directory.path("loop-b"), directory.path("loop-a")) == 0)
        #expect(symlink(directory.path("loop-a"), directory.path("loop-b")) == 0)
        do {
            _ = try DelegateConfiguration.load(
                tomlText: "", environment: ["SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR": directory.path("loop-a")],
                hostName: "h")
            Issue.record("an unreachable connectors_dir was taken for a missing one")
        } catch {
            #expect("\(error)".contains("\(directory.path("loop-a")) cannot be examined: "), "\(error)")
        }
        // A missing one still means no drop-ins.
        let none = try DelegateConfiguration.load(
            tomlText: "", environment: ["SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR": directory.path("absent")],
            hostName: "h")
        #expect(none.connectors.isEmpty)

        // connectors_dir moves it; the file's own directory is then not read.
        let other = try TemporaryDirectory()
        try "region = \"eu-west-1\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: other.path("elsewhere.toml"), atomically: true, encoding: .utf8)
        try "[delegate]\nconnectors_dir = \"\(other.url.path)\"\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let moved = try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "host-a")
        #expect(moved.connectors.keys.sorted() == ["elsewhere"])
        // ... and so does the environment.
        let viaEnvironment = try DelegateConfiguration.load(
            tomlText: "", environment: ["SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR": other.url.path], hostName: "h")
        #expect(viaEnvironment.connectors.keys.sorted() == ["elsewhere"])
    }

    /// An unusable `connectors_dir` is reported as every other key is: naming the variable that
    /// set it, or the file, so the operator looks in the right place.
    @Test func anUnusableConnectorsDirSaysWhereItWasSet() throws {
        let directory = try TemporaryDirectory()
        let notADirectory = directory.path("plain")
        try "".write(toFile: notADirectory, atomically: true, encoding: .utf8)
        do {
            _ = try DelegateConfiguration.load(
                tomlText: "", environment: ["SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR": notADirectory], hostName: "h")
            Issue.record("a connectors_dir that is a file was taken")
        } catch {
            #expect(error.origin == "SECRETS_DELEGATE_DELEGATE_CONNECTORS_DIR", "\(error)")
            #expect(error.description.contains("\(notADirectory) is not a directory"), "\(error)")
        }
        let file = directory.path("delegate.toml")
        try "[delegate]\nconnectors_dir = \"\(notADirectory)\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try DelegateConfiguration.load(path: file, requireFile: true, environment: [:], hostName: "h")
            Issue.record("a connectors_dir that is a file was taken")
        } catch {
            #expect(error.description.hasPrefix(file + " [delegate] connectors_dir: "), "\(error)")
        }
    }

    @Test(arguments: [
        (
            "region = \"us-east-1\"\ncredentials = { type = \"assumeRole\", role_arn = \"nope\" }",
            "credentials.role_arn"
        ),
        ("[connectors.ci]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }", "unknown key"),
        ("region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\nbogus = 1", "bogus"),
        ("region = \"us-east-1\"\u{01}", "line 1"),
        ("region = 1979-05-27", "line 1"),
    ])
    func aBrokenDropInNamesItsFileAndKey(body: String, key: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ci.toml")
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try DelegateConfiguration.load(
                tomlText: "[delegate]\nconnectors_dir = \"\(directory.url.path)\"", environment: [:], hostName: "h")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix(path), "\(error)")
            #expect(error.description.contains(key), "\(error)")
        }
    }

    @Test func aConnectorDeclaredTwiceIsAnError() throws {
        let directory = try TemporaryDirectory()
        try "region = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: directory.path("prod.toml"), atomically: true, encoding: .utf8)
        #expect(
            throws: ConfigurationError.self,
            performing: {
                try DelegateConfiguration.load(
                    tomlText: "[delegate]\nconnectors_dir = \"\(directory.url.path)\"\n"
                        + "[connectors.prod]\nregion = \"us-east-1\"\ncredentials = { type = \"instanceRole\" }",
                    environment: [:], hostName: "h")
            })
    }

    @Test func checkConfigListsConnectorsAndLoadsBackEqual() throws {
        let configuration = try load(
            Self.full
                + "\n[connectors.keys]\nregion = \"us-east-1\"\n"
                + "credentials = { type = \"accessKey\", access_key_id_ref = \"kid\", secret_access_key_ref = \"ks\" }\n"
        )
        let rendered = configuration.renderTOML()
        #expect(rendered.contains("[connectors.\"prod\"]"))
        #expect(rendered.contains("operations = [\"getSecretValue\", \"describeSecret\", \"listSecrets\"]"))
        #expect(rendered.contains("allowed_users = [\"deploy\", \"1001\"]"))
        #expect(rendered.contains("credentials = { type = \"assumeRole\""))
        #expect(rendered.contains("secret_access_key_ref = \"ks\""))
        #expect(rendered.contains("allow_inline_connectors = false"))
        #expect(rendered.contains("cache_ttl_seconds = 3600\ncache_stale_seconds = 600"))
        #expect(rendered.contains("cache_stale_seconds = 0"))
        #expect(try load(rendered) == configuration)
    }

    @Test func reloadSeesConnectorChanges() throws {
        let before = try load(Self.full)
        let after = try load(
            Self.full.replacingOccurrences(of: "cache_ttl_seconds = 3600", with: "cache_ttl_seconds = 60"))
        #expect(before.connectors != after.connectors)
        #expect(after.keysChanged(from: before).isEmpty)
        #expect(ConfigurationKey.find(section: "delegate", name: "allow_inline_connectors")?.appliesOnReload == true)
        #expect(ConfigurationKey.find(section: "delegate", name: "connectors_dir")?.appliesOnReload == true)
    }
}
