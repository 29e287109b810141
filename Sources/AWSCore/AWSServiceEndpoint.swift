/// Where and how to reach one AWS service in one region.
public struct AWSServiceEndpoint: Sendable, Hashable {
    /// The SigV4 signing name (`secretsmanager`, `sts`, `iam`).
    public let signingName: String
    public let region: String
    /// Absolute base URL, e.g. `https://secretsmanager.us-east-1.amazonaws.com` or a VPC endpoint.
    public let url: String
    /// The host (and port) of `url`, for the `Host` header.
    let host: String
    /// The path of `url`, `/` when it has none: the path requests are signed with.
    let path: String
    /// Where requests go: `url`, ending in `/` when it has no path.
    let requestURL: String

    public init(signingName: String, region: String, url: String? = nil) {
        self.signingName = signingName
        self.region = region
        let url = Self.trimmed(url ?? "") ?? "https://\(signingName).\(region).\(Self.domain(of: region))"
        self.url = url
        // Worked out once here rather than for every request.
        let parts = URLParts(url)
        host = String(parts.authority)
        path = parts.path.isEmpty ? "/" : String(parts.path)
        requestURL = path == "/" ? url + "/" : url
    }

    /// Equal when made from the same signing name, region and URL; the rest follows from those.
    public static func == (a: Self, b: Self) -> Bool {
        a.signingName == b.signingName && a.region == b.region && a.url == b.url
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(signingName)
        hasher.combine(region)
        hasher.combine(url)
    }

    /// The domain of a region's public endpoints, by its partition (the DNS suffixes of the AWS
    /// SDKs' partition table): `amazonaws.com.cn` in the China regions, `amazonaws.eu` in the
    /// European Sovereign Cloud, the isolated regions' own, and `amazonaws.com` elsewhere
    /// (GovCloud included).
    static func domain(of region: String) -> String {
        for (prefix, domain) in partitionDomains where region.hasPrefix(prefix) {
            return domain
        }
        return "amazonaws.com"
    }

    /// Region name prefixes and the domain of their partition's endpoints.
    static let partitionDomains: [(prefix: String, domain: String)] = [
        ("cn-", "amazonaws.com.cn"),
        ("eusc-", "amazonaws.eu"),
        ("us-iso-", "c2s.ic.gov"),
        ("us-isob-", "sc2s.sgov.gov"),
        ("us-isof-", "csp.hci.ic.gov"),
        ("eu-isoe-", "cloud.adc-e.uk"),
    ]

    private static func trimmed(_ url: String) -> String? {
        var value = url
        while value.hasSuffix("/") { value.removeLast() }
        return value.isEmpty ? nil : value
    }
}

/// Client-wide limits that apply to every call.
public struct AWSClientOptions: Sendable, Equatable {
    /// Total attempts per call, the first included (AWS's `max_attempts`).
    public var maxAttempts: Int
    public var connectTimeout: Duration
    public var requestTimeout: Duration
    /// Responses larger than this are treated as transport failures.
    public var maxResponseBytes: Int
    public var userAgent: String

    public init(
        maxAttempts: Int = 3,
        connectTimeout: Duration = .seconds(3),
        requestTimeout: Duration = .seconds(15),
        maxResponseBytes: Int = 4 * 1024 * 1024,
        userAgent: String = "secrets-delegate"
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }
}
