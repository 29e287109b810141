import Foundation
import Logging
import Testing

@testable import Delegate

@Suite struct ConfigurationTests {
    @Test func defaultsWithoutFile() throws {
        let configuration = try DelegateConfiguration.load(tomlText: nil, environment: [:], hostName: "host-a")
        #expect(configuration.delegate.name == "host-a")
        #expect(configuration.delegate.tags == [])
        #expect(configuration.delegate.acceptUntagged == true)
        #expect(configuration.delegate.concurrency == 16)
        #expect(configuration.delegate.logLevel == "info" && configuration.delegate.level == .info)
        #expect(configuration.queue.spoolDir == "/var/lib/secrets-delegate/spool")
        #expect(configuration.queue.socketPath == "/run/secrets-delegate/delegate.sock")
        #expect(configuration.queue.socketAllowedGroups == ["secrets-delegate"])
        #expect(configuration.queue.socketAllowedUsers == [])
        #expect(configuration.queue.rescanIntervalSeconds == 5)
        #expect(configuration.queue.resultRetentionSeconds == 3600)
        #expect(configuration.aws.secretsManagerEndpoint == "")
        #expect(configuration.aws.stsEndpoint == "")
        #expect(configuration.aws.imdsEndpoint == "http://169.254.169.254")
        #expect(configuration.aws.connectTimeoutSeconds == 3)
        #expect(configuration.aws.requestTimeoutSeconds == 15)
        #expect(configuration.aws.maxAttempts == 3)
        #expect(configuration.identity.sources == [.environment, .imds])
        #expect(configuration.credentials.directory == "/etc/secrets-delegate/credentials")
        #expect(configuration == DelegateConfiguration(hostName: "host-a"))
        // An empty file is the defaults too.
        #expect(try DelegateConfiguration.load(tomlText: "", environment: [:], hostName: "host-a") == configuration)
    }

    @Test func parsesTheSpecExample() throws {
        let toml = """
            [delegate]
            name = "build-host-1"
            tags = ["aws", "prod"]
            accept_untagged = false
            concurrency = 4

            [queue]
            spool_dir = ""
            socket_path = "/tmp/d.sock"
            socket_allowed_groups = ["ops", 1001]
            socket_allowed_users = ["deploy"]
            rescan_interval_seconds = 0.5
            result_retention_seconds = 60

            [aws]
            secretsmanager_endpoint = "http://127.0.0.1:5000"
            sts_endpoint = "https://sts.eu-west-1.amazonaws.com/"
            imds_endpoint = "http://127.0.0.1:1338"
            connect_timeout_seconds = 1
            request_timeout_seconds = 2.5
            max_attempts = 5

            [identity]
            sources = ["imds"]

            [credentials]
            directory = "/srv/creds"
            """
        let configuration = try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "ignored")
        #expect(
            configuration.delegate
                == .init(name: "build-host-1", tags: ["aws", "prod"], acceptUntagged: false, concurrency: 4))
        #expect(
            configuration.queue
                == .init(
                    spoolDir: "", socketPath: "/tmp/d.sock", socketAllowedGroups: ["ops", "1001"],
                    socketAllowedUsers: ["deploy"], rescanIntervalSeconds: 0.5, resultRetentionSeconds: 60))
        #expect(
            configuration.aws
                == .init(
                    secretsManagerEndpoint: "http://127.0.0.1:5000",
                    stsEndpoint: "https://sts.eu-west-1.amazonaws.com/",
                    imdsEndpoint: "http://127.0.0.1:1338", connectTimeoutSeconds: 1, requestTimeoutSeconds: 2.5,
                    maxAttempts: 5))
        #expect(configuration.identity.sources == [.imds])
        #expect(configuration.credentials.directory == "/srv/creds")
    }

    @Test func environmentOverridesTheFile() throws {
        let toml = "[delegate]\ntags = [\"file\"]\nconcurrency = 2\n"
        let environment = [
            "SECRETS_DELEGATE_DELEGATE_TAGS": "aws, prod ,eu",
            "SECRETS_DELEGATE_DELEGATE_ACCEPT_UNTAGGED": "No",
            "SECRETS_DELEGATE_DELEGATE_CONCURRENCY": " 32 ",
            "SECRETS_DELEGATE_QUEUE_SOCKET_ALLOWED_USERS": "",
            "SECRETS_DELEGATE_QUEUE_SOCKET_ALLOWED_GROUPS": "ops, 1000",
            "SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS": "0.25",
            "SECRETS_DELEGATE_AWS_MAX_ATTEMPTS": "1",
            "SECRETS_DELEGATE_AWS_SECRETSMANAGER_ENDPOINT": "http://localhost:4566",
            "SECRETS_DELEGATE_IDENTITY_SOURCES": "imds,environment",
            "SECRETS_DELEGATE_CREDENTIALS_DIRECTORY": "",
            "PATH": "/usr/bin",  // other variables are not ours
            "AWS_REGION": "us-east-1",
        ]
        let configuration = try DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "h")
        // Entries are trimmed: a group " 1000" would match nobody.
        #expect(configuration.delegate.tags == ["aws", "prod", "eu"])
        #expect(configuration.delegate.acceptUntagged == false)
        #expect(configuration.delegate.concurrency == 32)
        #expect(configuration.queue.socketAllowedUsers == [])
        #expect(configuration.queue.socketAllowedGroups == ["ops", "1000"])
        #expect(configuration.queue.rescanIntervalSeconds == 0.25)
        #expect(configuration.aws.maxAttempts == 1)
        #expect(configuration.aws.secretsManagerEndpoint == "http://localhost:4566")
        #expect(configuration.identity.sources == [.imds, .environment])
        #expect(configuration.credentials.directory == "")
        // From the file too: a tag " prod" would match no selector.
        let fromFile = try DelegateConfiguration.load(
            tomlText: "[delegate]\ntags = [\" prod \", \"eu\"]\n[queue]\nsocket_allowed_users = [\"alice \", 1001]\n",
            environment: [:], hostName: "h")
        #expect(fromFile.delegate.tags == ["prod", "eu"])
        #expect(fromFile.queue.socketAllowedUsers == ["alice", "1001"])
    }

    @Test(arguments: [
        ("true", true), ("TRUE", true), ("1", true), ("yes", true), ("Yes", true),
        ("false", false), ("0", false), ("no", false), ("NO", false),
    ])
    func environmentBooleans(text: String, expected: Bool) throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: nil, environment: ["SECRETS_DELEGATE_DELEGATE_ACCEPT_UNTAGGED": text], hostName: "h")
        #expect(configuration.delegate.acceptUntagged == expected)
    }

    /// `[delegate] log_level`: syslog's names from debug to error, from the file or the
    /// environment; anything else is refused, naming the values.
    @Test func logLevelIsOneOfFiveNames() throws {
        for (name, level) in [
            ("debug", Logger.Level.debug), ("notice", .notice), ("warning", .warning), ("error", .error),
        ] {
            let loaded = try DelegateConfiguration.load(
                tomlText: "[delegate]\nlog_level = \"\(name)\"", environment: [:], hostName: "h")
            #expect(loaded.delegate.level == level, "\(name)")
        }
        let fromEnvironment = try DelegateConfiguration.load(
            tomlText: "[delegate]\nlog_level = \"error\"",
            environment: ["SECRETS_DELEGATE_DELEGATE_LOG_LEVEL": "debug"],
            hostName: "h")
        #expect(fromEnvironment.delegate.level == .debug)
        // The file's value is overridden: said, as an edit of it changes nothing now.
        #expect(fromEnvironment.overriddenFileKeys == ["[delegate] log_level": "SECRETS_DELEGATE_DELEGATE_LOG_LEVEL"])
        #expect(
            fromEnvironment.overriddenKeysWarning?.contains(
                "overrides what the configuration file sets for [delegate] log_level by SECRETS_DELEGATE_DELEGATE_LOG_LEVEL")
                == true, "\(String(describing: fromEnvironment.overriddenKeysWarning))")
        // Set by the environment alone, nothing is overridden.
        let onlyEnvironment = try DelegateConfiguration.load(
            tomlText: "[delegate]\nconcurrency = 4", environment: ["SECRETS_DELEGATE_DELEGATE_LOG_LEVEL": "debug"],
            hostName: "h")
        #expect(onlyEnvironment.overriddenFileKeys.isEmpty && onlyEnvironment.overriddenKeysWarning == nil)
        for bad in ["\"DEBUG\"", "\"trace\"", "\"critical\"", "\"\"", "7"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try DelegateConfiguration.load(
                    tomlText: "[delegate]\nlog_level = \(bad)", environment: [:], hostName: "h")
            }
        }
        do {
            _ = try DelegateConfiguration.load(
                tomlText: "[delegate]\nlog_level = \"verbose\"", environment: [:], hostName: "h")
            Issue.record("log_level verbose loaded")
        } catch {
            #expect(error.key == "[delegate] log_level")
            #expect(
                "\(error)".contains("must be one of debug, info, notice, warning, error, not \"verbose\""), "\(error)")
        }
    }

    /// A configuration error's `STATUS=` names its key, or the variable when it names none (a
    /// misspelt one); never the reason.
    @Test func theStatusOfAConfigurationErrorNamesItsKeyOrVariable() {
        func statusKey(_ toml: String, _ environment: [String: String]) -> String? {
            do {
                _ = try DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "h")
                return nil
            } catch {
                return DaemonLauncher.statusKey(error)
            }
        }
        #expect(statusKey("[delegate]\nconcurrency = 0", [:]) == "[delegate] concurrency")
        #expect(
            statusKey("", ["secrets_delegate_delegate_tags": "s3cr3t"]) == "secrets_delegate_delegate_tags")
        #expect(statusKey("", ["SECRETS_DELEGATE_DELEGATE_CONCURRENCY": "many"]) == "[delegate] concurrency")
    }

    /// An empty variable sets its key empty, it does not unset it (README): a path off, a list
    /// with no entry; a number or a true/false key refuses it.
    @Test func anEmptyVariableSetsItsKeyEmpty() throws {
        let emptied = try DelegateConfiguration.load(
            tomlText: "[queue]\nspool_dir = \"/srv/spool\"",
            environment: ["SECRETS_DELEGATE_QUEUE_SPOOL_DIR": "", "SECRETS_DELEGATE_IDENTITY_SOURCES": ""], hostName: "h")
        #expect(emptied.queue.spoolDir == "")
        #expect(emptied.identity.sources == [])
        for variable in ["SECRETS_DELEGATE_DELEGATE_CONCURRENCY", "SECRETS_DELEGATE_DELEGATE_ACCEPT_UNTAGGED"] {
            #expect(throws: ConfigurationError.self, "\(variable)") {
                try DelegateConfiguration.load(tomlText: nil, environment: [variable: ""], hostName: "h")
            }
        }
    }

    /// A value ending in a line end (an `EnvironmentFile=` written with CRLFs, an LF from `echo`)
    /// is taken without it: a queue URL, a path, a list, a number; a line break inside is still refused.
    @Test func environmentValuesLoseTheirLineEnds() throws {
        let queue = "https://sqs.us-east-1.amazonaws.com/123456789012/secrets-delegate-tasks-production"
        let configuration = try DelegateConfiguration.load(
            tomlText: nil,
            environment: [
                "SECRETS_DELEGATE_SQS_QUEUE_URLS": queue + "\n", "SECRETS_DELEGATE_SQS_RESULT_QUEUE_URL": queue + "-results\r\n",
                "SECRETS_DELEGATE_DELEGATE_CONCURRENCY": "8\r\n", "SECRETS_DELEGATE_DELEGATE_TAGS": "aws,prod\r",
                "SECRETS_DELEGATE_QUEUE_SPOOL_DIR": "/var/lib/secrets-delegate/spool\n",
            ],
            hostName: "h")
        #expect(configuration.sqs.queueURLs == [queue])
        #expect(configuration.sqs.resultQueueURL == queue + "-results")
        #expect(configuration.delegate.concurrency == 8)
        #expect(configuration.delegate.tags.contains("prod"))
        #expect(configuration.queue.spoolDir == "/var/lib/secrets-delegate/spool")
        #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(
                tomlText: nil, environment: ["SECRETS_DELEGATE_SQS_QUEUE_URLS": queue + "\nx"], hostName: "h")
        }
    }

    /// The ranges INTERFACE.md section 2 and the README give: each end is taken, and a step past
    /// it is refused naming the key.
    @Test(arguments: [
        // (section, key, lowest, highest, below, above)
        ("delegate", "concurrency", "1", "4096", "0", "4097"),
        ("queue", "socket_max_connections", "1", "65536", "0", "65537"),
        ("aws", "max_attempts", "1", "20", "0", "21"),
        ("queue", "result_retention_seconds", "1", "31536000", "0", "31536001"),
        ("queue", "socket_idle_timeout_seconds", "1", "86400", "0.5", "86400.5"),
        ("queue", "rescan_interval_seconds", "0.01", "86400", "0.009", "86400.5"),
        ("aws", "connect_timeout_seconds", "0.01", "3600", "0.009", "3600.5"),
        ("aws", "request_timeout_seconds", "0.01", "3600", "0.009", "3600.5"),
    ])
    func theDocumentedRangesHold(
        section: String, key: String, lowest: String, highest: String, below: String, above: String
    ) throws {
        for value in [lowest, highest] {
            #expect(throws: Never.self, "\(key) = \(value)") {
                try DelegateConfiguration.load(
                    tomlText: "[\(section)]\n\(key) = \(value)", environment: [:], hostName: "h")
            }
        }
        for value in [below, above] {
            let error = #expect(throws: ConfigurationError.self, "\(key) = \(value)") {
                try DelegateConfiguration.load(
                    tomlText: "[\(section)]\n\(key) = \(value)", environment: [:], hostName: "h")
            }
            #expect(error?.key == "[\(section)] \(key)", "\(String(describing: error))")
        }
    }

    /// EC2's IPv6 instance metadata endpoint (and any bracketed IPv6 address) is taken as
    /// `imds_endpoint`, for IPv6-only hosts.
    @Test(arguments: ["http://[fd00:ec2::254]", "http://[fd00:ec2::254]:80/", "http://[::1]:1338"])
    func anIPv6IMDSEndpointIsTaken(endpoint: String) throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: "[aws]\nimds_endpoint = \"\(endpoint)\"", environment: [:], hostName: "h")
        #expect(configuration.aws.imdsEndpoint == endpoint)
    }

    /// Each bad configuration names its key and says why.
    @Test(
        arguments: [
            // (toml, environment, key, origin, part of the reason)
            ("[delegate]\nconcurrency = 0", [:], "[delegate] concurrency", nil, "between 1 and 4096, not 0"),
            ("[delegate]\nconcurrency = 100000", [:], "[delegate] concurrency", nil, "not 100000"),
            (
                "[delegate]\nconcurrency = \"8\"", [:], "[delegate] concurrency", nil,
                "must be a whole number, not a string"
            ),
            ("[delegate]\nconcurrency = 2.5", [:], "[delegate] concurrency", nil, "not a floating-point number"),
            // TOML's inf and nan are floats, but "not a floating-point number" would be no reason
            // for a key that takes 1.5.
            (
                "[aws]\nrequest_timeout_seconds = inf", [:], "[aws] request_timeout_seconds", nil,
                "must be a number of seconds, not inf (no finite number)"
            ),
            (
                "[aws]\nrequest_timeout_seconds = -inf", [:], "[aws] request_timeout_seconds", nil,
                "not -inf (no finite number)"
            ),
            (
                "[queue]\nrescan_interval_seconds = nan", [:], "[queue] rescan_interval_seconds", nil,
                "not nan (no number)"
            ),
            ("[delegate]\ntags = \"aws\"", [:], "[delegate] tags", nil, "must be an array of strings, not a string"),
            ("[delegate]\ntags = [\"aws\", \"\"]", [:], "[delegate] tags", nil, "entry 2 is empty"),
            ("[delegate]\ntags = [\"  \"]", [:], "[delegate] tags", nil, "entry 1 is empty"),
            ("[delegate]\ntags = [\"a\", 3]", [:], "[delegate] tags", nil, "entry 2 must be a string, not an integer"),
            // C1 controls, separators and bidi overrides show another text than the one compared.
            (
                "[delegate]\ntags = [\"x\\u0085y\"]", [:], "[delegate] tags", nil,
                "contains a control character (\\u{85})"
            ),
            (
                "[delegate]\ntags = [\"a\\u202Eb\"]", [:], "[delegate] tags", nil,
                "contains a bidirectional formatting character (\\u{202e})"
            ),
            (
                "[delegate]\ntags = [\"z\\u2028w\"]", [:], "[delegate] tags", nil,
                "contains a line or paragraph separator (\\u{2028})"
            ),
            (
                "[delegate]\ntags = [\"a\\u061Cb\"]", [:], "[delegate] tags", nil,
                "contains a bidirectional formatting character (\\u{61c})"
            ),
            (
                "[delegate]\ntags = [\"r\\u200Foot\"]", [:], "[delegate] tags", nil,
                "contains a bidirectional formatting character (\\u{200f})"
            ),
            // Lengths in bytes: 65 characters of two bytes each are over.
            (
                "[delegate]\ntags = [\"\(String(repeating: "é", count: 65))\"]", [:], "[delegate] tags", nil,
                "entry 1 is longer than 128 bytes (UTF-8)"
            ),
            (
                "[delegate]\nname = \"\(String(repeating: "n", count: 129))\"", [:], "[delegate] name", nil,
                "is longer than 128 bytes"
            ),
            ("[delegate]\naccept_untagged = \"yes\"", [:], "[delegate] accept_untagged", nil, "must be true or false"),
            ("[delegate]\nname = \"a/b\"", [:], "[delegate] name", nil, "may only contain letters"),
            ("[delegate]\nname = \"..\"", [:], "[delegate] name", nil, "must not be"),
            (
                "[queue]\nrescan_interval_seconds = -1", [:], "[queue] rescan_interval_seconds", nil,
                "must not be negative"
            ),
            ("[queue]\nrescan_interval_seconds = 0", [:], "[queue] rescan_interval_seconds", nil, "at least 0.01"),
            (
                "[queue]\nresult_retention_seconds = -5", [:], "[queue] result_retention_seconds", nil,
                "at least 1 second"
            ),
            ("[queue]\nspool_dir = \"spool\"", [:], "[queue] spool_dir", nil, "must be an absolute path"),
            (
                "[queue]\nsocket_path = \"/" + String(repeating: "s", count: 120) + "\"", [:], "[queue] socket_path",
                nil,
                "at most 107"
            ),
            ("[aws]\nconnect_timeout_seconds = -3", [:], "[aws] connect_timeout_seconds", nil, "must not be negative"),
            ("[aws]\nrequest_timeout_seconds = 86400", [:], "[aws] request_timeout_seconds", nil, "at most 3600"),
            ("[aws]\nmax_attempts = 0", [:], "[aws] max_attempts", nil, "between 1 and 20, not 0"),
            (
                "[aws]\nsecretsmanager_endpoint = \"not a url\"", [:], "[aws] secretsmanager_endpoint", nil,
                "is not a URL"
            ),
            ("[aws]\nsts_endpoint = \"ftp://sts.example\"", [:], "[aws] sts_endpoint", nil, "https:// or http://"),
            ("[aws]\nsts_endpoint = \"https://\"", [:], "[aws] sts_endpoint", nil, "has no host"),
            ("[aws]\nimds_endpoint = \"\"", [:], "[aws] imds_endpoint", nil, "must not be empty"),
            ("[aws]\nimds_endpoint = \"http://h/latest\"", [:], "[aws] imds_endpoint", nil, "must not have a path"),
            // A host and port every parser reads alike, as a queue URL's: no empty port, none out of range.
            (
                "[aws]\nsecretsmanager_endpoint = \"https://sm.example:\"", [:], "[aws] secretsmanager_endpoint", nil,
                "must have a host name or a bracketed IPv6 address (a zone written %25 and 1-15 characters"
            ),
            (
                "[aws]\nsts_endpoint = \"https://sts.example:0\"", [:], "[aws] sts_endpoint", nil,
                "and optionally :port (1-65535)"
            ),
            (
                "[aws]\nimds_endpoint = \"http://[fd00:ec2::254]:65536\"", [:], "[aws] imds_endpoint", nil,
                "and optionally :port (1-65535)"
            ),
            (
                "[sqs]\nendpoint = \"https://sqs.example:\"", [:], "[sqs] endpoint", nil,
                "and optionally :port (1-65535)"
            ),
            (
                "[aws]\nsecretsmanager_endpoint = \"https://user:pw@sm.example\"", [:], "[aws] secretsmanager_endpoint",
                nil, "must not contain a user name or password"
            ),
            ("[identity]\nsources = [\"ec2\"]", [:], "[identity] sources", nil, "unknown identity source \"ec2\""),
            ("[identity]\nsources = [\"imds\", \"imds\"]", [:], "[identity] sources", nil, "lists imds twice"),
            ("[credentials]\ndirectory = \"creds\"", [:], "[credentials] directory", nil, "must be an absolute path"),
            // Empty is connectors.d beside the file, not off: the message must not say it turns them off.
            (
                "[delegate]\nconnectors_dir = \"connectors.d\"", [:], "[delegate] connectors_dir", nil,
                "must be an absolute path (or empty for connectors.d beside the configuration file)"
            ),
            // A queue URL of the right shape says which rule it breaks.
            (
                "[sqs]\nqueue_urls = [\"https://sqs.us-east-1.amazonaws.com:bogus/123456789012/tasks\"]", [:],
                "[sqs] queue_urls",
                nil,
                "is not a queue URL: it must have a host name or a bracketed IPv6 address (a zone written %25 and 1-15 characters"
            ),
            (
                "[sqs]\nresult_queue_url = \"https://sqs.us-east-1.amazonaws.com/123456789012/results?x=1\"", [:],
                "[sqs] result_queue_url", nil, "is not a queue URL: it must have no query or fragment (no ? or #)"
            ),
            (
                "[sqs]\nqueue_urls = [\"https://sqs.us-east-1.amazonaws.com/123456789012/my tasks\"]", [:],
                "[sqs] queue_urls",
                nil, "is not a queue URL: it must be printable ASCII, without spaces"
            ),
            (
                "[sqs]\nresult_queue_url = \"https://sqs.us-east-1.amazonaws.com/123456789012/"
                    + String(repeating: "q", count: 1100)
                    + "\"", [:], "[sqs] result_queue_url", nil, "is not a queue URL: it must be at most 1024 bytes"
            ),
            (
                "[sqs]\nresult_queue_url = \"https://sqs.example\"", [:], "[sqs] result_queue_url", nil,
                "is not a queue URL (http(s)://host/path, as https://sqs.us-east-1.amazonaws.com/123456789012/tasks)"
            ),
            // Unknown keys and sections.
            ("[delegate]\nnmae = \"x\"", [:], "[delegate] nmae", nil, "unknown key; [delegate] takes name, tags"),
            ("[shutdown]\ngrace_seconds = 5", [:], "[shutdown]", nil, "unknown section"),
            ("name = \"x\"", [:], "name", nil, "keys must be inside a section"),
            // `[[name]]` is named as written: a section, not a key outside one.
            ("[[shutdown]]\ngrace_seconds = 5", [:], "[[shutdown]]", nil, "unknown section; the sections are"),
            ("[[connector]]\nname = \"x\"", [:], "[[connector]]", nil, "unknown section; the sections are"),
            ("[[credentials]]\ndirectory = \"/c\"", [:], "[[credentials]]", nil, "is written once, as [credentials]"),
            ("credentials = 3", [:], "[credentials]", nil, "must be a table, not a single value"),
            ("[delegate.extra]\nx = 1", [:], "[delegate] extra", nil, "unknown key"),
            // A list in TOML's spelling in a variable is refused, not read as odd entries.
            (
                "", ["SECRETS_DELEGATE_DELEGATE_TAGS": "[\"aws\",\"prod\"]"], "[delegate] tags",
                "SECRETS_DELEGATE_DELEGATE_TAGS", "is a list in TOML's spelling"
            ),
            // A TOML list given as a variable is no group or user anyone is in.
            (
                "", ["SECRETS_DELEGATE_QUEUE_SOCKET_ALLOWED_GROUPS": "[\"app\"]"], "[queue] socket_allowed_groups",
                "SECRETS_DELEGATE_QUEUE_SOCKET_ALLOWED_GROUPS", "is a list in TOML's spelling"
            ),
            (
                "[queue]\nsocket_allowed_users = [\"app user\"]", [:], "[queue] socket_allowed_users", nil,
                "is no user or group name"
            ),
            // A directory service's name (SSSD, AD) is named by its number: the message says so.
            (
                "[queue]\nsocket_allowed_groups = [\"linux-admins@corp.example.com\"]", [:],
                "[queue] socket_allowed_groups", nil,
                "by its number (getent group NAME)"
            ),
            (
                "[delegate]\nname = \"\"", [:], "[delegate] name", nil,
                "is empty; set a name (left out, the name is the host name"
            ),
            // A quoted key's escapes are shown, not written out (an error line is a terminal's).
            ("[delegate]\n\"a\\u001b]0;x\\u0007\" = 1", [:], "[delegate] a\\u{1b}]0;x\\u{7}", nil, "unknown key"),
            ("[\"s\\u001b\"]\nx = 1", [:], "[s\\u{1b}]", nil, "unknown section"),
            // A long name may be a secret pasted as a key: named by its length only.
            (
                "[delegate]\n\"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\" = 1", [:],
                "[delegate] <a key of 62 characters>", nil, "unknown key"
            ),
            // Environment overrides.
            (
                "", ["SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS": "soon"], "[queue] rescan_interval_seconds",
                "SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS", "must be a number of seconds, not \"soon\""
            ),
            // Decimal only, as in the file (Swift's Double would read hexadecimal too).
            (
                "", ["SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS": "0x1p4"], "[queue] rescan_interval_seconds",
                "SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS", "must be a number of seconds, not \"0x1p4\""
            ),
            (
                "", ["SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS": "-2"], "[queue] rescan_interval_seconds",
                "SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS", "must not be negative"
            ),
            (
                "", ["SECRETS_DELEGATE_DELEGATE_CONCURRENCY": "many"], "[delegate] concurrency",
                "SECRETS_DELEGATE_DELEGATE_CONCURRENCY", "must be a whole number"
            ),
            (
                "", ["SECRETS_DELEGATE_DELEGATE_ACCEPT_UNTAGGED": "maybe"], "[delegate] accept_untagged",
                "SECRETS_DELEGATE_DELEGATE_ACCEPT_UNTAGGED", "must be true, false, 1, 0, yes or no"
            ),
            (
                "", ["SECRETS_DELEGATE_DELEGATE_TAGS": "aws,,prod"], "[delegate] tags",
                "SECRETS_DELEGATE_DELEGATE_TAGS",
                "entry 2 is empty"
            ),
            (
                "", ["SECRETS_DELEGATE_IDENTITY_SOURCES": "environment,sso"], "[identity] sources",
                "SECRETS_DELEGATE_IDENTITY_SOURCES", "unknown identity source \"sso\""
            ),
            (
                "", ["SECRETS_DELEGATE_DELEGATE_COLOUR": "blue"], nil, "SECRETS_DELEGATE_DELEGATE_COLOUR",
                "names no configuration key"
            ),
            (
                "", ["SECRETS_DELEGATE_SHUTDOWN_GRACE": "5"], nil, "SECRETS_DELEGATE_SHUTDOWN_GRACE",
                "names no configuration section"
            ),
            (
                "", ["SECRETS_DELEGATE_delegate_tags": "x"], nil, "SECRETS_DELEGATE_delegate_tags",
                "names no configuration section"
            ),
            // The prefix spelt otherwise would be ignored: refused too.
            (
                "", ["secrets_delegate_delegate_log_level": "debug"], nil, "secrets_delegate_delegate_log_level",
                "is not read: configuration variables are named SECRETS_DELEGATE_<SECTION>_<KEY>, in upper case"
            ),
            (
                "", ["SECRETS_DELEGATED_DELEGATE_TAGS": "aws"], nil, "SECRETS_DELEGATED_DELEGATE_TAGS",
                "is not read: configuration variables are named SECRETS_DELEGATE_<SECTION>_<KEY>"
            ),
            // Syntax.
            ("[delegate\nname = 1", [:], nil, nil, "TOML syntax error at line 1"),
            // An integer too large for 64 bits is one, not a key.
            (
                "[delegate]\nconcurrency = 123456789012345678901234567890123", [:], nil, nil,
                "'<a number of 33 characters>' is not representable in 64 bits"
            ),
        ] as [(String, [String: String], String?, String?, String)])
    func badConfigurationNamesItsKey(
        toml: String, environment: [String: String], key: String?, origin: String?, reason: String
    ) {
        #expect {
            _ = try DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "h")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.origin == origin && error.reason.contains(reason)
        }
    }

    /// A URL with a password is refused without being quoted, however else it is wrong; a uid or
    /// gid the kernel has no room for is no id.
    @Test(arguments: [
        (
            "[aws]\nsts_endpoint = \"https://user:p4ss word@sts.example\"", "[aws] sts_endpoint",
            "must not contain a user name or password"
        ),
        (
            "[sqs]\nqueue_urls = [\"https://AKIDX:p4ss@sqs.us-east-1.amazonaws.com/123456789012/q\"]",
            "[sqs] queue_urls",
            "entry 1 must not contain a user name or password"
        ),
        (
            "[sqs]\nresult_queue_url = \"https://u:p4ss@sqs.us-east-1.amazonaws.com/123456789012/r x\"",
            "[sqs] result_queue_url", "must not contain a user name or password"
        ),
        // Where parsers disagree on where the authority ends (a "/" in the password, one slash).
        (
            "[aws]\nsts_endpoint = \"https://admin:p4/ss@sts.example.com\"", "[aws] sts_endpoint",
            "must not contain a user name or password"
        ),
        (
            "[aws]\nimds_endpoint = \"http:/user:p4ss@10.0.0.1\"", "[aws] imds_endpoint",
            "must not contain a user name or password"
        ),
        (
            "[sqs]\nqueue_urls = [\"https://u:p4/ss@sqs.us-east-1.amazonaws.com/123456789012/q\"]", "[sqs] queue_urls",
            "entry 1 must not contain a user name or password"
        ),
        (
            "[queue]\nsocket_allowed_users = [4294967295]", "[queue] socket_allowed_users",
            "entry 1 is no user or group id (0-4294967294)"
        ),
        (
            "[queue]\nsocket_allowed_groups = [1, 10000000000]", "[queue] socket_allowed_groups",
            "entry 2 is no user or group id"
        ),
        // The same ids written as strings.
        (
            "[queue]\nsocket_allowed_users = [\"4294967295\"]", "[queue] socket_allowed_users",
            "entry 1 is no user or group id (0-4294967294)"
        ),
        (
            "[queue]\nsocket_allowed_groups = [\"app\", \"10000000000\"]", "[queue] socket_allowed_groups",
            "entry 2 is no user or group id"
        ),
    ])
    func passwordsAreNeverQuotedAndIdsFitTheKernel(toml: String, key: String, reason: String) {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
        }
        #expect(error?.key == key)
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
        #expect(error.map { "\($0)" }?.contains("p4ss") == false, "\(String(describing: error))")
    }

    @Test func errorDescriptionNamesKeyAndOrigin() {
        let error = ConfigurationError(
            key: "[queue] rescan_interval_seconds", reason: "must not be negative",
            origin: "SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS")
        #expect(
            error.description
                == "[queue] rescan_interval_seconds (from SECRETS_DELEGATE_QUEUE_RESCAN_INTERVAL_SECONDS): "
                + "must not be negative")
    }

    @Test func emptyHostNameNeedsAConfiguredName() throws {
        #expect(throws: ConfigurationError.self) {
            _ = try DelegateConfiguration.load(tomlText: nil, environment: [:], hostName: "")
        }
        let configuration = try DelegateConfiguration.load(
            tomlText: nil, environment: ["SECRETS_DELEGATE_DELEGATE_NAME": "d1"], hostName: "")
        #expect(configuration.delegate.name == "d1")
    }

    @Test func renderedTOMLLoadsBackEqual() throws {
        var configuration = DelegateConfiguration(hostName: "ip-10-0-0-1.ec2.internal")
        configuration.delegate.tags = ["aws", "quote\"d", "back\\slash", "ünïcode"]
        configuration.delegate.acceptUntagged = false
        configuration.queue.spoolDir = ""
        configuration.queue.rescanIntervalSeconds = 0.75
        configuration.aws.requestTimeoutSeconds = 20
        configuration.aws.stsEndpoint = "https://sts.us-east-1.amazonaws.com"
        configuration.identity.sources = [.imds]
        try configuration.validate()
        let text = configuration.renderTOML()
        let loaded = try DelegateConfiguration.load(tomlText: text, environment: [:], hostName: "other")
        #expect(loaded == configuration)
        #expect(text.hasPrefix("[delegate]\nname = \"ip-10-0-0-1.ec2.internal\"\n"))
        #expect(text.contains("\n[queue]\nspool_dir = \"\"\n"))
        #expect(text.contains("rescan_interval_seconds = 0.75\n"))
        #expect(text.contains("request_timeout_seconds = 20\n"))
        #expect(text.contains("[identity]\nsources = [\"imds\"]\n"))

        let defaults = DelegateConfiguration(hostName: "h")
        #expect(
            try DelegateConfiguration.load(tomlText: defaults.renderTOML(), environment: [:], hostName: "x") == defaults
        )
    }

    @Test func loadsFromAFile() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("delegate-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("delegate.toml").path
        let missing = try DelegateConfiguration.load(path: path, requireFile: false, environment: [:], hostName: "h")
        #expect(missing == DelegateConfiguration(hostName: "h"))
        #expect(throws: ConfigurationError.self) {
            _ = try DelegateConfiguration.load(path: path, requireFile: true, environment: [:], hostName: "h")
        }
        try "[delegate]\nconcurrency = 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try DelegateConfiguration.load(path: path, requireFile: true, environment: [:], hostName: "h")
        #expect(loaded.delegate.concurrency == 3)
    }
}
