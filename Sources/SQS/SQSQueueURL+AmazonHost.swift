extension SQSQueueURL {
    /// The host, lowercased, without the port; nil if the origin holds user information (`@`).
    public var host: String? { Self.host(ofOrigin: origin) }

    /// The region Amazon SQS's own host names, nil for any other host (an emulator, a proxy, a
    /// host of another AWS service):
    /// - `sqs.<region>.amazonaws.com`, `sqs.<region>.amazonaws.com.cn`, `sqs-fips.<region>.amazonaws.com`
    /// - dual-stack `sqs.<region>.api.aws`, `sqs-fips.<region>.api.aws`
    /// - the legacy `queue.amazonaws.com` (us-east-1) and `<region>.queue.amazonaws.com`
    /// - VPC endpoints, `<vpce-id>.sqs.<region>.vpce.amazonaws.com[.cn]`
    ///
    /// Other hosts under `amazonaws.com` (API Gateway's `*.execute-api.<region>.amazonaws.com`,
    /// say) accept requests from anyone's account, so they are not SQS for this purpose.
    public var amazonSQSRegion: String? { host.flatMap(Self.amazonSQSRegion(host:)) }

    /// ``amazonSQSRegion`` for a host name.
    public static func amazonSQSRegion(host: String) -> String? {
        let labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func region(_ label: String) -> String? { isRegionName(label) ? label : nil }
        switch labels.count {
        case 3 where labels == ["queue", "amazonaws", "com"]:
            return "us-east-1"
        case 4 where ["sqs", "sqs-fips"].contains(labels[0]) && labels[2...] == ["amazonaws", "com"],
            4 where ["sqs", "sqs-fips"].contains(labels[0]) && labels[2...] == ["api", "aws"]:
            return region(labels[1])
        case 4 where labels[1...] == ["queue", "amazonaws", "com"]:
            return region(labels[0])
        case 5 where labels[0] == "sqs" && labels[2...] == ["amazonaws", "com", "cn"]:
            return region(labels[1])
        case 6 where labels[0].hasPrefix("vpce-") && labels[1] == "sqs" && labels[3...] == ["vpce", "amazonaws", "com"],
            7 where labels[0].hasPrefix("vpce-") && labels[1] == "sqs"
                && labels[3...] == ["vpce", "amazonaws", "com", "cn"]:
            return region(labels[2])
        default:
            return nil
        }
    }

    /// The host of `scheme://host[:port][/path]`, lowercased; nil if it holds user information.
    public static func host(ofOrigin origin: String) -> String? {
        guard let scheme = origin.firstRange(of: "://") else { return nil }
        var host = origin[scheme.upperBound...]
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        guard !host.contains("@"), !host.isEmpty else { return nil }
        if host.first == "[" {
            // An IPv6 literal: never an SQS host, but its colons are not a port.
            return host.firstIndex(of: "]").map { String(host[...$0]).lowercased() }
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host.lowercased()
    }

    /// `us-east-1`, `us-gov-west-1`, `cn-north-1`: lowercase letters and digits in at least two
    /// parts joined by `-`.
    static func isRegionName(_ label: String) -> Bool {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count >= 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
            }
    }
}
