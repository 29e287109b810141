import Foundation

extension DelegateConfiguration {
    /// Bounds that catch typos (a concurrency of 10000000, a timeout in milliseconds) rather
    /// than police taste.
    public enum Limits {
        public static let concurrency = 1...4096
        public static let rescanIntervalSeconds = 0.01...86_400.0
        public static let resultRetentionSeconds = 1...31_536_000
        public static let timeoutSeconds = 0.01...3600.0
        public static let maxAttempts = 1...20
        public static let socketMaxConnections = 1...65_536
        public static let socketIdleTimeoutSeconds = 1.0...86_400.0
        /// `sun_path` holds 108 bytes including the terminating NUL.
        public static let socketPathBytes = 107
    }

    /// Checks every value; `load` calls this, and a caller that edits a configuration (a reload,
    /// a test) can call it again.
    public func validate() throws(ConfigurationError) {
        try validate(origins: [:])
    }

    func validate(origins: [String: String]) throws(ConfigurationError) {
        func fail(_ section: String, _ name: String, _ reason: String) -> ConfigurationError {
            let label = "[\(section)] \(name)"
            return ConfigurationError(key: label, reason: reason, origin: origins[label])
        }

        // [delegate]
        if let reason = Self.delegateNameProblem(delegate.name) {
            throw fail("delegate", "name", reason)
        }
        for (index, tag) in delegate.tags.enumerated() {
            if let reason = Self.listEntryProblem(tag) {
                throw fail("delegate", "tags", "entry \(index + 1) \(reason)")
            }
        }
        guard Limits.concurrency.contains(delegate.concurrency) else {
            throw fail(
                "delegate", "concurrency",
                "must be between \(Limits.concurrency.lowerBound) and \(Limits.concurrency.upperBound), "
                    + "not \(delegate.concurrency)")
        }

        if let reason = Self.pathProblem(delegate.connectorsDir) { throw fail("delegate", "connectors_dir", reason) }

        // [queue]
        if let reason = Self.pathProblem(queue.spoolDir) { throw fail("queue", "spool_dir", reason) }
        if let reason = Self.pathProblem(queue.socketPath) { throw fail("queue", "socket_path", reason) }
        guard queue.socketPath.utf8.count <= Limits.socketPathBytes else {
            throw fail(
                "queue", "socket_path",
                "is \(queue.socketPath.utf8.count) bytes long; a Unix socket path holds at most \(Limits.socketPathBytes)"
            )
        }
        if let reason = Self.pathProblem(queue.credentialsSocketPath) {
            throw fail("queue", "credentials_socket_path", reason)
        }
        guard queue.credentialsSocketPath.utf8.count <= Limits.socketPathBytes else {
            throw fail(
                "queue", "credentials_socket_path",
                "is \(queue.credentialsSocketPath.utf8.count) bytes long; a Unix socket path holds at most "
                    + "\(Limits.socketPathBytes)")
        }
        for (index, group) in queue.socketAllowedGroups.enumerated() {
            if let reason = Self.listEntryProblem(group) {
                throw fail("queue", "socket_allowed_groups", "entry \(index + 1) \(reason)")
            }
        }
        for (index, user) in queue.socketAllowedUsers.enumerated() {
            if let reason = Self.listEntryProblem(user) {
                throw fail("queue", "socket_allowed_users", "entry \(index + 1) \(reason)")
            }
        }
        guard Limits.socketMaxConnections.contains(queue.socketMaxConnections) else {
            throw fail(
                "queue", "socket_max_connections",
                "must be between \(Limits.socketMaxConnections.lowerBound) and "
                    + "\(Limits.socketMaxConnections.upperBound), not \(queue.socketMaxConnections)")
        }
        if let reason = Self.secondsProblem(queue.socketIdleTimeoutSeconds, Limits.socketIdleTimeoutSeconds) {
            throw fail("queue", "socket_idle_timeout_seconds", reason)
        }
        if let reason = Self.secondsProblem(queue.rescanIntervalSeconds, Limits.rescanIntervalSeconds) {
            throw fail("queue", "rescan_interval_seconds", reason)
        }
        guard Limits.resultRetentionSeconds.contains(queue.resultRetentionSeconds) else {
            throw fail(
                "queue", "result_retention_seconds",
                queue.resultRetentionSeconds < 1
                    ? "must be at least 1 second, not \(queue.resultRetentionSeconds)"
                    : "must be at most \(Limits.resultRetentionSeconds.upperBound) seconds (a year)")
        }

        // [aws]
        if let reason = Self.endpointProblem(aws.secretsManagerEndpoint, emptyAllowed: true) {
            throw fail("aws", "secretsmanager_endpoint", reason)
        }
        if let reason = Self.endpointProblem(aws.stsEndpoint, emptyAllowed: true) {
            throw fail("aws", "sts_endpoint", reason)
        }
        if let reason = Self.endpointProblem(aws.imdsEndpoint, emptyAllowed: false) {
            throw fail("aws", "imds_endpoint", reason)
        }
        if let reason = Self.secondsProblem(aws.connectTimeoutSeconds, Limits.timeoutSeconds) {
            throw fail("aws", "connect_timeout_seconds", reason)
        }
        if let reason = Self.secondsProblem(aws.requestTimeoutSeconds, Limits.timeoutSeconds) {
            throw fail("aws", "request_timeout_seconds", reason)
        }
        guard Limits.maxAttempts.contains(aws.maxAttempts) else {
            throw fail(
                "aws", "max_attempts",
                "must be between \(Limits.maxAttempts.lowerBound) and \(Limits.maxAttempts.upperBound), "
                    + "not \(aws.maxAttempts)")
        }

        // [identity]
        if Set(identity.sources).count != identity.sources.count {
            throw fail("identity", "sources", "lists a source twice")
        }

        // [credentials]
        if let reason = Self.pathProblem(credentials.directory) { throw fail("credentials", "directory", reason) }

        // [sqs]
        if let (name, reason) = sqs.problem() { throw fail("sqs", name, reason) }
    }

    /// The name names the claim directory `cur/<name>/`, so it must be a safe path component.
    static func delegateNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty; set a name (the default, the host name, was empty too)" }
        if name.utf8.count > 128 { return "is longer than 128 characters" }
        if name == "." || name == ".." { return "must not be \(quoted(name))" }
        if name.unicodeScalars.contains(where: { !Self.isNameScalar($0) }) {
            return "\(quoted(name)) may only contain letters, digits, '.', '_' and '-'"
        }
        return nil
    }

    static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    /// Tags, users and groups: non-empty after trimming, no commas (they could not be given in
    /// the environment), no control characters.
    static func listEntryProblem(_ entry: String) -> String? {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "is empty" }
        if trimmed.utf8.count > 128 { return "is longer than 128 characters" }
        if entry.contains(",") { return "\(quoted(entry)) contains a comma" }
        if entry.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "\(quoted(entry)) contains a control character"
        }
        return nil
    }

    /// Paths are absolute or empty (off): the daemon's working directory is `/` under systemd.
    static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return nil }
        if !path.hasPrefix("/") { return "must be an absolute path (or empty to turn it off), not \(quoted(path))" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character"
        }
        return nil
    }

    static func secondsProblem(_ value: Double, _ range: ClosedRange<Double>) -> String? {
        if !value.isFinite { return "must be a finite number of seconds" }
        if value < 0 { return "must not be negative (\(formatSeconds(value)))" }
        if value < range.lowerBound { return "must be at least \(formatSeconds(range.lowerBound)) seconds" }
        if value > range.upperBound { return "must be at most \(formatSeconds(range.upperBound)) seconds" }
        return nil
    }

    /// An endpoint is `http(s)://host[:port]` with nothing after the host but an optional `/`.
    /// User info is refused: the configuration must never hold a password.
    static func endpointProblem(_ endpoint: String, emptyAllowed: Bool) -> String? {
        if endpoint.isEmpty { return emptyAllowed ? nil : "must not be empty" }
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased() else {
            return "\(quoted(endpoint)) is not a URL"
        }
        guard components.user == nil, components.password == nil else {
            return "must not contain a user name or password"
        }
        guard scheme == "http" || scheme == "https" else {
            return "\(quoted(endpoint)) must start with https:// or http://"
        }
        guard let host = components.host, !host.isEmpty else { return "\(quoted(endpoint)) has no host" }
        guard components.path.isEmpty || components.path == "/" else {
            return "\(quoted(endpoint)) must not have a path"
        }
        guard components.query == nil, components.fragment == nil else {
            return "\(quoted(endpoint)) must not have a query or fragment"
        }
        if let port = components.port, !(1...65535).contains(port) {
            return "\(quoted(endpoint)) has an invalid port"
        }
        return nil
    }
}
