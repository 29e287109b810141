import Glibc
import FileNames
import SafeText
import FoundationEssentials
import AWSCore
import Logging
import SQS

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

    /// Checks every key of `ConfigurationKey.all`, in its order; `load` calls this, and a caller
    /// that edits a configuration (a reload, a test) can call it again.
    public func validate() throws(ConfigurationError) {
        try validate(origins: [:])
    }

    /// - Parameter origins: the environment variable that set a key, by `ConfigurationKey.label`.
    func validate(origins: [String: String]) throws(ConfigurationError) {
        for key in ConfigurationKey.all {
            if let reason = key.problem(self) {
                throw ConfigurationError(key: key.label, reason: reason, origin: origins[key.label])
            }
        }
        // Each fine alone, but not one path for both: the second socket would find the first
        // listening (the start fails), or take its path from it between bind and listen.
        if !queue.credentialsSocketPath.isEmpty, !queue.socketPath.isEmpty,
            Self.samePath(queue.credentialsSocketPath, queue.socketPath)
        {
            let label = "[queue] credentials_socket_path"
            throw ConfigurationError(
                key: label,
                reason: "must not be the task socket's path ([queue] socket_path): each socket needs its own",
                origin: origins[label])
        }
        // Each spelt its own way (a dual-stack or FIPS host, a port; any host through an endpoint
        // override), one queue listed twice would get two loops receiving from it, with twice
        // the receives and two lines for every error of it.
        if let (first, second) = sqs.queueListedTwice {
            let label = "[sqs] queue_urls"
            throw ConfigurationError(
                key: label,
                reason: "entries \(first + 1) and \(second + 1) name one queue, spelt two ways: list each queue once",
                origin: origins[label])
        }
        if let (label, url, region) = sqs.queueOutsideEndpointRegion {
            throw ConfigurationError(
                key: label,
                reason: "\(Self.quoted(url)) is a queue in \(region), and [sqs] endpoint serves its own region only: "
                    + "give a queue of that region, or an endpoint of \(region)",
                origin: origins[label])
        }
        if let results = try? SQSQueueURL(sqs.resultQueueURL), sqs.isTaskQueue(results) {
            let label = "[sqs] result_queue_url"
            throw ConfigurationError(
                key: label,
                reason: "must not be one of [sqs] queue_urls: a result sent to a task queue comes back as a task",
                origin: origins[label])
        }
    }

    /// A named connector (a table here or a `connectors.d` drop-in: checked once those are read)
    /// of another region than a regional `[aws] secretsmanager_endpoint` serves.
    func checkConnectorRegions(origins: [String: String]) throws(ConfigurationError) {
        for id in connectors.keys.sorted() {
            guard let named = connectors[id],
                let problem = AWSClientPool.secretsManagerRegionProblem(
                    endpoint: aws.secretsManagerEndpoint, region: named.connector.region)
            else { continue }
            let label = "[aws] secretsmanager_endpoint"
            throw ConfigurationError(
                key: label,
                reason: "\(problem) (\(named.origin)): give the connector that region, or drop the override",
                origin: origins[label])
        }
    }

    /// Whether two absolute paths name one file: each compared by the real path of its deepest
    /// directory that exists (links, `.` and `..` resolved as the kernel would, so
    /// `/var/run/x.sock` is `/run/x.sock` where `/var/run` links to `/run`, even before
    /// `/run/secrets-delegate` is made), then the rest of it as written (`.`, `..` and `//`
    /// resolved). Unlike `DaemonLauncher.sameFile` (which compares files that exist, by device and
    /// inode), this holds for sockets not bound yet, as a configuration names them.
    static func samePath(_ first: String, _ second: String) -> Bool {
        func resolved(_ path: String) -> String {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true)
            for existing in stride(from: parts.count - 1, through: 0, by: -1) {
                let directory = "/" + parts[..<existing].joined(separator: "/")
                guard let real = realpath(directory, nil) else { continue }
                defer { free(real) }
                var resolved = String(cString: real).split(separator: "/").map(String.init)
                for part in parts[existing...] where part != "." {
                    if part == ".." { _ = resolved.popLast() } else { resolved.append(String(part)) }
                }
                return "/" + resolved.joined(separator: "/")
            }
            return path
        }
        return resolved(first) == resolved(second)
    }

    /// A whole number within `range`.
    static func within(_ range: ClosedRange<Int>) -> @Sendable (Int) -> String? {
        { value in
            range.contains(value) ? nil : "must be between \(range.lowerBound) and \(range.upperBound), not \(value)"
        }
    }

    /// A number of seconds within `range`.
    static func within(_ range: ClosedRange<Double>) -> @Sendable (Double) -> String? {
        { value in secondsProblem(value, range) }
    }

    static func resultRetentionProblem(_ seconds: Int) -> String? {
        if Limits.resultRetentionSeconds.contains(seconds) { return nil }
        return seconds < 1
            ? "must be at least 1 second, not \(seconds)"
            : "must be at most \(Limits.resultRetentionSeconds.upperBound) seconds (a year)"
    }

    /// Tags, users and groups, each entry as `listEntryProblem` says.
    static func listProblem(_ entries: [String]) -> String? {
        for (index, entry) in entries.enumerated() {
            if let reason = listEntryProblem(entry) { return "entry \(index + 1) \(reason)" }
        }
        return nil
    }

    /// Users or groups: as `listProblem` says, an entry of digits only is an id in the range an
    /// integer entry has, and any other a name as connectors' `allowed_users` take one (a TOML list
    /// given as a variable, `["app"]`, is no group anyone is in).
    static func principalListProblem(_ entries: [String]) -> String? {
        if let problem = listProblem(entries) { return problem }
        if let index = entries.firstIndex(where: { !isNameOrID($0) }) {
            return "entry \(index + 1) is no user or group id (0-\(UInt32.max - 1))"
        }
        if let index = entries.firstIndex(where: { !NamedConnector.isPrincipalName($0.trimmingSpaces()) }) {
            return "entry \(index + 1) \(quoted(entries[index])) is no user or group name (letters, digits, '.', '_', "
                + "'-', '$', not starting with '-'; at most 64): name a directory service's user or group "
                + "with another spelling (an '@', a space, a '\\') by its number (getent group NAME)"
        }
        return nil
    }

    /// False for digits only that are no id 0-4294967294 (4294967295 is -1, "no id", to the
    /// kernel); true for anything else (a name).
    static func isNameOrID(_ entry: String) -> Bool {
        !entry.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            || UInt32(entry).map { $0 < UInt32.max } == true
    }

    /// A socket path: a path that fits `sun_path`.
    static func socketPathProblem(_ path: String) -> String? {
        if let reason = pathProblem(path) { return reason }
        guard path.utf8.count <= Limits.socketPathBytes else {
            return "is \(path.utf8.count) bytes long; a Unix socket path holds at most \(Limits.socketPathBytes)"
        }
        return nil
    }

    static func optionalEndpoint(_ endpoint: String) -> String? {
        endpointProblem(endpoint, emptyAllowed: true)
    }

    static func requiredEndpoint(_ endpoint: String) -> String? {
        endpointProblem(endpoint, emptyAllowed: false)
    }

    /// The name names the claim directory `cur/<name>/`, so it must be a safe path component.
    static func delegateNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty; set a name (left out, the name is the host name, if it has one)" }
        if name.utf8.count > 128 { return "is longer than 128 bytes" }
        if name == "." || name == ".." { return "must not be \(quoted(name))" }
        if name.unicodeScalars.contains(where: { !Self.isNameScalar($0) }) {
            return "\(quoted(name)) may only contain letters, digits, '.', '_' and '-'"
        }
        return nil
    }

    /// `[A-Za-z0-9._-]`: the portable file name rule.
    static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        PortableFileName.isPortable(scalar)
    }

    /// The longest tag, user or group, in bytes once trimmed.
    static let maximumListEntryBytes = 128

    /// Tags, users and groups: non-empty after trimming, no commas (they could not be given in
    /// the environment), no character `ShownText` escapes (controls, separators, bidirectional
    /// formatting), which would make `check-config` and the journal show another text than the
    /// one compared.
    static func listEntryProblem(_ entry: String) -> String? {
        // (A task's selectors are held to what a tag can be: ``Connector/selectorProblem(_:)``.)
        let trimmed = entry.trimmingSpaces()
        if trimmed.isEmpty { return "is empty" }
        if trimmed.utf8.count > maximumListEntryBytes { return "is longer than \(maximumListEntryBytes) bytes (UTF-8)" }
        if entry.contains(",") { return "\(quoted(entry)) contains a comma" }
        if let scalar = entry.unicodeScalars.first(where: ShownText.isEscaped), let kind = ShownText.kind(of: scalar) {
            return "\(quoted(entry)) contains \(kind) (\(ShownText.shown(scalar)))"
        }
        return nil
    }

    /// Paths are absolute or empty (off): the daemon's working directory is `/` under systemd.
    static func pathProblem(_ path: String) -> String? {
        pathProblem(path, empty: "to turn it off")
    }

    /// `[delegate] log_level`'s values, least severe first: swift-log's levels by their names,
    /// but for trace and critical.
    public static let logLevels: [Logger.Level] = [.debug, .info, .notice, .warning, .error]

    static func logLevelProblem(_ level: String) -> String? {
        guard let known = Logger.Level(rawValue: level), logLevels.contains(known) else {
            return "must be one of \(logLevels.map(\.rawValue).joined(separator: ", ")), not \(quoted(level))"
        }
        return nil
    }

    /// `[delegate] connectors_dir`: absolute, or empty for `connectors.d` beside the file (drop-ins
    /// are never off).
    static func connectorsDirProblem(_ path: String) -> String? {
        pathProblem(path, empty: "for connectors.d beside the configuration file")
    }

    private static func pathProblem(_ path: String, empty: String) -> String? {
        if path.isEmpty { return nil }
        if !path.hasPrefix("/") { return "must be an absolute path (or empty \(empty)), not \(quoted(path))" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character"
        }
        return nil
    }

    /// "1 second", "0.01 seconds", "3600 seconds".
    private static func secondsText(_ value: Double) -> String {
        formatSeconds(value) + (value == 1 ? " second" : " seconds")
    }

    static func secondsProblem(_ value: Double, _ range: ClosedRange<Double>) -> String? {
        if !value.isFinite { return "must be a finite number of seconds" }
        if value < 0 { return "must not be negative (\(formatSeconds(value)))" }
        if value < range.lowerBound { return "must be at least \(secondsText(range.lowerBound))" }
        if value > range.upperBound { return "must be at most \(secondsText(range.upperBound))" }
        return nil
    }

    /// An endpoint is `http(s)://host[:port]` with nothing after the host but an optional `/`.
    /// User info is refused: the configuration must never hold a password.
    static func endpointProblem(_ endpoint: String, emptyAllowed: Bool) -> String? {
        if endpoint.isEmpty { return emptyAllowed ? nil : "must not be empty" }
        // Before any message that quotes the value: it may hold a password.
        if URLParts.mayHoldUserInfo(endpoint) { return "must not contain a user name or password" }
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
        // The host and port as every parser reads them alike (as a queue URL's): else the Host
        // signed (`URLParts`) need not be the one libcurl connects to, as with an empty port.
        guard URLParts(endpoint).isHostAndPort else {
            return "\(quoted(endpoint)) must have a host name or a bracketed IPv6 address (a zone written %25 and 1-15 "
                + "characters, as [fe80::1%25eth0]), and optionally :port (1-65535)"
        }
        return nil
    }
}
