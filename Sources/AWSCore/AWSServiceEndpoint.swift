/// Where and how to reach one AWS service in one region.
public struct AWSServiceEndpoint: Sendable, Hashable {
    /// The SigV4 signing name (`secretsmanager`, `sts`, `iam`).
    public var signingName: String
    public var region: String
    /// Absolute base URL, e.g. `https://secretsmanager.us-east-1.amazonaws.com` or a VPC endpoint.
    public var url: String

    public init(signingName: String, region: String, url: String? = nil) {
        self.signingName = signingName
        self.region = region
        self.url = Self.trimmed(url ?? "") ?? "https://\(signingName).\(region).amazonaws.com"
    }

    /// The host (and port) for the `Host` header and the path of the base URL.
    var hostAndPath: (host: String, path: String) {
        // By UTF-8 bytes: this runs for every request, and "://" and "/" are ASCII.
        let bytes = url.utf8
        var hostStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":"), bytes[index...].starts(with: Self.schemeSeparator) {
                hostStart = bytes.index(index, offsetBy: Self.schemeSeparator.count)
                break
            }
            index = bytes.index(after: index)
        }
        guard let slash = bytes[hostStart...].firstIndex(of: UInt8(ascii: "/")) else {
            return (String(url[hostStart...]), "/")
        }
        return (String(url[hostStart..<slash]), String(url[slash...]))
    }

    private static let schemeSeparator = Array("://".utf8)

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
