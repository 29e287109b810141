import SQS

extension ConfigurationKey {
    /// Every key of the fixed sections, in the order of the spec: the only place a key is defined
    /// (a few messages elsewhere name one in prose).
    static let all: [ConfigurationKey] = {
        typealias Configuration = DelegateConfiguration
        typealias Limits = DelegateConfiguration.Limits
        typealias SQS = DelegateConfiguration.SQSSection
        return [
            string(
                "delegate", "name", \.delegate.name, appliesOnReload: false, check: Configuration.delegateNameProblem),
            strings("delegate", "tags", \.delegate.tags, check: Configuration.listProblem),
            bool("delegate", "accept_untagged", \.delegate.acceptUntagged),
            integer("delegate", "concurrency", \.delegate.concurrency, check: Configuration.within(Limits.concurrency)),
            bool("delegate", "allow_inline_connectors", \.delegate.allowInlineConnectors),
            string("delegate", "connectors_dir", \.delegate.connectorsDir, check: Configuration.connectorsDirProblem),
            string("delegate", "log_level", \.delegate.logLevel, check: Configuration.logLevelProblem),
            string("queue", "spool_dir", \.queue.spoolDir, appliesOnReload: false, check: Configuration.pathProblem),
            string(
                "queue", "socket_path", \.queue.socketPath, appliesOnReload: false,
                check: Configuration.socketPathProblem),
            strings(
                "queue", "socket_allowed_groups", \.queue.socketAllowedGroups, numericIDs: true,
                check: Configuration.principalListProblem),
            strings(
                "queue", "socket_allowed_users", \.queue.socketAllowedUsers, numericIDs: true,
                check: Configuration.principalListProblem),
            integer(
                "queue", "socket_max_connections", \.queue.socketMaxConnections,
                check: Configuration.within(Limits.socketMaxConnections)),
            seconds(
                "queue", "socket_idle_timeout_seconds", \.queue.socketIdleTimeoutSeconds,
                check: Configuration.within(Limits.socketIdleTimeoutSeconds)),
            seconds(
                "queue", "rescan_interval_seconds", \.queue.rescanIntervalSeconds,
                check: Configuration.within(Limits.rescanIntervalSeconds)),
            integer(
                "queue", "result_retention_seconds", \.queue.resultRetentionSeconds,
                check: Configuration.resultRetentionProblem),
            string(
                "queue", "credentials_socket_path", \.queue.credentialsSocketPath, appliesOnReload: false,
                check: Configuration.socketPathProblem),
            string(
                "aws", "secretsmanager_endpoint", \.aws.secretsManagerEndpoint, check: Configuration.optionalEndpoint),
            string("aws", "sts_endpoint", \.aws.stsEndpoint, check: Configuration.optionalEndpoint),
            string("aws", "imds_endpoint", \.aws.imdsEndpoint, check: Configuration.requiredEndpoint),
            seconds(
                "aws", "connect_timeout_seconds", \.aws.connectTimeoutSeconds,
                check: Configuration.within(Limits.timeoutSeconds)),
            seconds(
                "aws", "request_timeout_seconds", \.aws.requestTimeoutSeconds,
                check: Configuration.within(Limits.timeoutSeconds)),
            integer("aws", "max_attempts", \.aws.maxAttempts, check: Configuration.within(Limits.maxAttempts)),
            ConfigurationKey(
                section: "identity", name: "sources", kind: .identitySources, appliesOnReload: true,
                problem: { Set($0.identity.sources).count != $0.identity.sources.count ? "lists a source twice" : nil }),
            string("credentials", "directory", \.credentials.directory, check: Configuration.pathProblem),
            strings("sqs", "queue_urls", \.sqs.queueURLs, check: SQS.queueURLsProblem),
            string("sqs", "region", \.sqs.region, check: SQS.regionProblem),
            string("sqs", "endpoint", \.sqs.endpoint, check: Configuration.optionalEndpoint),
            integer("sqs", "wait_seconds", \.sqs.waitSeconds, check: Configuration.within(SQS.waitSecondsRange)),
            integer(
                "sqs", "visibility_seconds", \.sqs.visibilitySeconds,
                check: Configuration.within(SQS.visibilitySecondsRange)),
            string("sqs", "result_queue_url", \.sqs.resultQueueURL, check: SQS.resultQueueURLProblem),
            integer(
                "sqs", "max_message_bytes", \.sqs.maxMessageBytes, check: Configuration.within(SQS.maxMessageBytesRange)
            ),
        ]
    }()

    private static func string(
        _ section: String, _ name: String, _ path: WritableKeyPath<DelegateConfiguration, String> & Sendable,
        appliesOnReload: Bool = true, check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> ConfigurationKey {
        key(section, name, .string(path), path, appliesOnReload, check)
    }

    private static func strings(
        _ section: String, _ name: String, _ path: WritableKeyPath<DelegateConfiguration, [String]> & Sendable,
        numericIDs: Bool = false, check: @escaping @Sendable ([String]) -> String?
    ) -> ConfigurationKey {
        var key = key(section, name, .stringList(path), path, true, check)
        key.acceptsNumericIDs = numericIDs
        return key
    }

    private static func bool(
        _ section: String, _ name: String, _ path: WritableKeyPath<DelegateConfiguration, Bool> & Sendable
    ) -> ConfigurationKey {
        key(section, name, .bool(path), path, true) { _ in nil }
    }

    private static func integer(
        _ section: String, _ name: String, _ path: WritableKeyPath<DelegateConfiguration, Int> & Sendable,
        check: @escaping @Sendable (Int) -> String?
    ) -> ConfigurationKey {
        key(section, name, .integer(path), path, true, check)
    }

    private static func seconds(
        _ section: String, _ name: String, _ path: WritableKeyPath<DelegateConfiguration, Double> & Sendable,
        check: @escaping @Sendable (Double) -> String?
    ) -> ConfigurationKey {
        key(section, name, .seconds(path), path, true, check)
    }

    private static func key<Value>(
        _ section: String, _ name: String, _ kind: Kind, _ path: KeyPath<DelegateConfiguration, Value> & Sendable,
        _ appliesOnReload: Bool, _ check: @escaping @Sendable (Value) -> String?
    ) -> ConfigurationKey {
        ConfigurationKey(
            section: section, name: name, kind: kind, appliesOnReload: appliesOnReload,
            problem: { check($0[keyPath: path]) })
    }
}
