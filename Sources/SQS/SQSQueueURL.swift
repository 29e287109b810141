import AWSCore

/// A queue's URL (`https://sqs.us-east-1.amazonaws.com/123456789012/tasks`), checked once: the
/// endpoint calls about it are sent to and whether it is a FIFO queue.
public struct SQSQueueURL: Sendable, Hashable, CustomStringConvertible {
    public let url: String
    /// `scheme://host[:port]`.
    public let origin: String
    /// The host, lowercased, without the port.
    public let host: String?
    /// The region Amazon SQS's own host names, nil for any other host
    /// (``amazonSQSRegion(host:)``). Worked out here once: a task's `replyTo` check reads it, and
    /// so does the making of a client for the queue.
    public let amazonSQSRegion: String?

    /// - Throws: `InvalidQueueUrl` unless `url` is an absolute http(s) URL with a host (a DNS name
    ///   or a bracketed IPv6 address), at most a numeric port, a path and no query or fragment,
    ///   of printable ASCII (a producer's `replyTo` is quoted in results and the journal: no
    ///   control or bidirectional characters, and queue URLs have none), and no user information
    ///   (whose password the message would otherwise quote; any `@`,
    ///   ``URLParts/mayHoldUserInfo(_:)``).
    public init(_ url: String) throws(AWSError) {
        // A producer's replyTo is logged with a result it could not be sent: bounded like any text
        // a producer chooses. (Amazon SQS's are about a hundred bytes: a host, an account, a name of 80.)
        guard url.utf8.count <= Self.maximumLength else {
            throw .validation(
                .invalidQueueURL, "a queue URL must be at most \(Self.maximumLength) bytes, not \(url.utf8.count)")
        }
        guard url.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .validation(.invalidQueueURL, "a queue URL must be printable ASCII, without spaces")
        }
        let parts = URLParts(url)
        guard !URLParts.mayHoldUserInfo(url) else {
            throw .validation(.invalidQueueURL, "a queue URL must not contain a user name or password")
        }
        guard let scheme = parts.scheme, ["http", "https"].contains(scheme.lowercased()), !parts.authority.isEmpty,
            parts.path.count > 1
        else { throw Self.invalid(url) }
        // A host and port every parser reads alike, and no query or fragment (a queue URL has
        // none): else the host judged here (a replyTo's) need not be where libcurl sends.
        guard !url.utf8.contains(UInt8(ascii: "?")), !url.utf8.contains(UInt8(ascii: "#")) else {
            throw .validation(.invalidQueueURL, "a queue URL must have no query or fragment (no ? or #)")
        }
        guard parts.isHostAndPort else {
            throw .validation(
                .invalidQueueURL,
                "a queue URL must have a host name or a bracketed IPv6 address (a zone written %25 and 1-15 characters, as "
                    + "[fe80::1%25eth0]), and optionally :port (1-65535)")
        }
        self.url = url
        origin = String(url[..<parts.path.startIndex])
        host = parts.host
        amazonSQSRegion = host.flatMap(Self.amazonSQSRegion(host:))
    }

    /// The longest queue URL taken, in bytes.
    public static let maximumLength = 1024

    /// FIFO queues' names end in `.fifo`; messages to them need a group and a deduplication id.
    /// A trailing `/` names the same queue (as in ``namesSameQueue(as:throughOneEndpoint:)``).
    public var isFIFO: Bool { path.hasSuffix(".fifo") }

    public var description: String { url }

    /// Whether `other` names this queue: the same path (an account and a queue name, compared as
    /// they are, a trailing `/` aside) at the same place. Through one `endpoint` override every
    /// queue URL is one place (the override takes every call); Amazon SQS's hosts of one region
    /// are one place however spelt (FIPS, dual-stack, legacy, VPC endpoint, a port); any other host
    /// is its scheme, host and port, in any case, a default port as none.
    public func namesSameQueue(as other: SQSQueueURL, throughOneEndpoint: Bool = false) -> Bool {
        identity(throughOneEndpoint: throughOneEndpoint) == other.identity(throughOneEndpoint: throughOneEndpoint)
    }

    /// The queue this URL names, however spelt: equal for two URLs exactly when
    /// ``namesSameQueue(as:throughOneEndpoint:)`` holds (a host of Amazon SQS's and any other
    /// are never one place).
    public func identity(throughOneEndpoint: Bool = false) -> String {
        if throughOneEndpoint { return String(path) }
        if let amazonSQSRegion { return "sqs." + amazonSQSRegion + path }
        return place + path
    }

    /// The path without a trailing `/`.
    private var path: Substring {
        let path = url[origin.endIndex...]
        return path.hasSuffix("/") ? path.dropLast() : path
    }

    /// The origin in lowercase, without the scheme's default port.
    private var place: String {
        let lowered = origin.lowercased()
        for defaultPort in ["https://": ":443", "http://": ":80"] where lowered.hasPrefix(defaultPort.key) {
            if lowered.hasSuffix(defaultPort.value) { return String(lowered.dropLast(defaultPort.value.count)) }
        }
        return lowered
    }

    /// The endpoint for calls about this queue: `endpointOverride` when set (a VPC endpoint, an
    /// emulator), else the queue URL's own scheme and host.
    public func endpoint(region: String, endpointOverride: String = "") -> AWSServiceEndpoint {
        AWSServiceEndpoint(
            signingName: SQSClient.signingName, region: region, url: endpointOverride.isEmpty ? origin : endpointOverride)
    }

    private static func invalid(_ url: String) -> AWSError {
        .validation(.invalidQueueURL, "\(url.prefix(200)) is not a queue URL \(shape)")
    }

    /// What a queue URL looks like, as messages refusing one say it.
    public static let shape = "(http(s)://host/path, as https://sqs.us-east-1.amazonaws.com/123456789012/tasks)"
}
