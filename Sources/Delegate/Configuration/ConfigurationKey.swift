/// One key of the configuration file: where it lives, what type it takes and which field it sets.
///
/// The table of keys is the single place that knows the spelling of every key, so parsing the
/// file, the environment overrides, validation messages and `renderTOML()` cannot drift apart.
struct ConfigurationKey: Sendable {
    enum Kind {
        case string(WritableKeyPath<DelegateConfiguration, String>)
        case stringList(WritableKeyPath<DelegateConfiguration, [String]>)
        case bool(WritableKeyPath<DelegateConfiguration, Bool>)
        case integer(WritableKeyPath<DelegateConfiguration, Int>)
        case seconds(WritableKeyPath<DelegateConfiguration, Double>)
        case identitySources
    }

    let section: String
    let name: String

    /// `[section] name`, the spelling used in every message.
    var label: String { "[\(section)] \(name)" }

    /// `section.name`, the spelling of reload messages and their metadata.
    var dottedName: String { "\(section).\(name)" }

    /// Whether a reload (SIGHUP) applies a new value. The others name what the running daemon is
    /// (its claim directory, its spool, its listening socket) and keep their value until a restart.
    var appliesOnReload: Bool {
        switch (section, name) {
        case ("delegate", "name"), ("queue", "spool_dir"), ("queue", "socket_path"),
            ("queue", "credentials_socket_path"):
            false
        default: true
        }
    }

    /// `SECRETS_DELEGATE_<SECTION>_<KEY>`.
    var environmentName: String {
        "SECRETS_DELEGATE_" + section.uppercased() + "_" + name.uppercased()
    }

    /// The key paths are built on demand: key paths are not `Sendable`, so the table is not a
    /// stored global.
    var kind: Kind {
        switch (section, name) {
        case ("delegate", "name"): .string(\.delegate.name)
        case ("delegate", "tags"): .stringList(\.delegate.tags)
        case ("delegate", "accept_untagged"): .bool(\.delegate.acceptUntagged)
        case ("delegate", "concurrency"): .integer(\.delegate.concurrency)
        case ("delegate", "allow_inline_connectors"): .bool(\.delegate.allowInlineConnectors)
        case ("delegate", "connectors_dir"): .string(\.delegate.connectorsDir)
        case ("queue", "spool_dir"): .string(\.queue.spoolDir)
        case ("queue", "socket_path"): .string(\.queue.socketPath)
        case ("queue", "socket_allowed_groups"): .stringList(\.queue.socketAllowedGroups)
        case ("queue", "socket_allowed_users"): .stringList(\.queue.socketAllowedUsers)
        case ("queue", "socket_max_connections"): .integer(\.queue.socketMaxConnections)
        case ("queue", "socket_idle_timeout_seconds"): .seconds(\.queue.socketIdleTimeoutSeconds)
        case ("queue", "rescan_interval_seconds"): .seconds(\.queue.rescanIntervalSeconds)
        case ("queue", "result_retention_seconds"): .integer(\.queue.resultRetentionSeconds)
        case ("queue", "credentials_socket_path"): .string(\.queue.credentialsSocketPath)
        case ("aws", "secretsmanager_endpoint"): .string(\.aws.secretsManagerEndpoint)
        case ("aws", "sts_endpoint"): .string(\.aws.stsEndpoint)
        case ("aws", "imds_endpoint"): .string(\.aws.imdsEndpoint)
        case ("aws", "connect_timeout_seconds"): .seconds(\.aws.connectTimeoutSeconds)
        case ("aws", "request_timeout_seconds"): .seconds(\.aws.requestTimeoutSeconds)
        case ("aws", "max_attempts"): .integer(\.aws.maxAttempts)
        case ("identity", "sources"): .identitySources
        case ("sqs", "queue_urls"): .stringList(\.sqs.queueURLs)
        case ("sqs", "region"): .string(\.sqs.region)
        case ("sqs", "endpoint"): .string(\.sqs.endpoint)
        case ("sqs", "wait_seconds"): .integer(\.sqs.waitSeconds)
        case ("sqs", "visibility_seconds"): .integer(\.sqs.visibilitySeconds)
        case ("sqs", "result_queue_url"): .string(\.sqs.resultQueueURL)
        default: .string(\.credentials.directory)  // ("credentials", "directory")
        }
    }

    /// Every section, in the order the spec and `renderTOML()` list them.
    static let sections = ["delegate", "queue", "aws", "identity", "credentials", "sqs"]

    /// Every key, in the order of the spec.
    static let all: [ConfigurationKey] = [
        .init(section: "delegate", name: "name"),
        .init(section: "delegate", name: "tags"),
        .init(section: "delegate", name: "accept_untagged"),
        .init(section: "delegate", name: "concurrency"),
        .init(section: "delegate", name: "allow_inline_connectors"),
        .init(section: "delegate", name: "connectors_dir"),
        .init(section: "queue", name: "spool_dir"),
        .init(section: "queue", name: "socket_path"),
        .init(section: "queue", name: "socket_allowed_groups"),
        .init(section: "queue", name: "socket_allowed_users"),
        .init(section: "queue", name: "socket_max_connections"),
        .init(section: "queue", name: "socket_idle_timeout_seconds"),
        .init(section: "queue", name: "rescan_interval_seconds"),
        .init(section: "queue", name: "result_retention_seconds"),
        .init(section: "queue", name: "credentials_socket_path"),
        .init(section: "aws", name: "secretsmanager_endpoint"),
        .init(section: "aws", name: "sts_endpoint"),
        .init(section: "aws", name: "imds_endpoint"),
        .init(section: "aws", name: "connect_timeout_seconds"),
        .init(section: "aws", name: "request_timeout_seconds"),
        .init(section: "aws", name: "max_attempts"),
        .init(section: "identity", name: "sources"),
        .init(section: "credentials", name: "directory"),
        .init(section: "sqs", name: "queue_urls"),
        .init(section: "sqs", name: "region"),
        .init(section: "sqs", name: "endpoint"),
        .init(section: "sqs", name: "wait_seconds"),
        .init(section: "sqs", name: "visibility_seconds"),
        .init(section: "sqs", name: "result_queue_url"),
    ]

    static func find(section: String, name: String) -> ConfigurationKey? {
        all.first { $0.section == section && $0.name == name }
    }
}

/// A value read from the file or the environment, before it is checked against its key's type.
enum RawConfigurationValue {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([RawConfigurationValue])
    case other(typeName: String)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .other(let typeName): typeName
        }
    }
}
