/// What an Amazon endpoint's host name says about the region it serves: an endpoint override
/// that names a region is signed for that region, whatever the task's.
public enum AmazonHost {
    /// The region `host` (no port; any case) names as an endpoint of `service`, nil for any other
    /// host (an emulator, a proxy, another service's):
    /// - `<service>.<region>.amazonaws.com`, `<service>-fips.<region>.amazonaws.com`, `.com.cn`
    /// - dual-stack `<service>.<region>.api.aws`, `<service>-fips.<region>.api.aws`, and China's
    ///   `<service>.<region>.api.amazonwebservices.com.cn`
    /// - VPC endpoints, `<vpce-id>.<service>.<region>.vpce.amazonaws.com[.cn]`
    /// - STS's global `sts.amazonaws.com`, which signs as us-east-1
    public static func region(ofHost host: String, service: String) -> String? {
        guard let labels = labels(of: host) else { return nil }
        if service == "sts", labels == ["sts", "amazonaws", "com"] { return "us-east-1" }
        return region(of: labels, service: service, domains: commercialDomains, endpointDomains: commercialEndpointDomains)
    }

    /// The region an endpoint override's host names, to sign for it and to judge which
    /// connectors it serves: ``region(ofHost:service:)``'s hosts, written with a fully qualified
    /// name's trailing dot or not, and the same shapes in AWS's other partitions
    /// (`<service>.<region>.amazonaws.eu`, `.c2s.ic.gov`, `.sc2s.sgov.gov`, `.csp.hci.ic.gov`,
    /// `.cloud.adc-e.uk`, and their VPC endpoints; the European Sovereign Cloud's dual-stack
    /// `.api.amazonwebservices.eu`). Not to trust a host with anything: SQS judges
    /// where a result may go by ``region(ofHost:service:)`` alone.
    public static func signingRegion(ofHost host: String, service: String) -> String? {
        var host = host
        if host.count > 1, host.hasSuffix(".") { host.removeLast() }
        if let region = region(ofHost: host, service: service) { return region }
        guard let labels = labels(of: host) else { return nil }
        return region(of: labels, service: service, domains: otherPartitionDomains, endpointDomains: otherPartitionDomains)
    }

    /// The domains of Amazon's commercial and China partitions' service hosts, as labels; of
    /// their VPC endpoints (`vpce.` before them). The other partitions' (``AWSServiceEndpoint``'s).
    private static let commercialDomains = [
        ["amazonaws", "com"], ["api", "aws"], ["amazonaws", "com", "cn"], ["api", "amazonwebservices", "com", "cn"],
    ]
    private static let commercialEndpointDomains = [["amazonaws", "com"], ["amazonaws", "com", "cn"]]
    private static let otherPartitionDomains =
        AWSServiceEndpoint.partitionDomains.map { entry in entry.domain.split(separator: ".").map(String.init) }
        + [["api", "amazonwebservices", "eu"]]

    /// `host`'s labels, lowercased; nil for a host with anything but letters, digits, dots and
    /// hyphens (so that no other parser reads it otherwise).
    private static func labels(of host: String) -> [String]? {
        let host = host.lowercased()
        guard host.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return nil }
        return host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    /// The region `labels` name as `<service>[-fips].<region>.<domain>` for one of `domains`, or
    /// as `<vpce-id>.<service>.<region>.vpce.<domain>` for one of `endpointDomains`.
    private static func region(
        of labels: [String], service: String, domains: [[String]], endpointDomains: [[String]]
    ) -> String? {
        for domain in domains
        where labels.count == 2 + domain.count && (labels[0] == service || labels[0] == service + "-fips")
            && labels[2...].elementsEqual(domain) && isRegionName(labels[1])
        {
            return labels[1]
        }
        for domain in endpointDomains
        where labels.count == 4 + domain.count && isEndpointID(labels[0]) && labels[1] == service && labels[3] == "vpce"
            && labels[4...].elementsEqual(domain) && isRegionName(labels[2])
        {
            return labels[2]
        }
        return nil
    }

    /// ``signingRegion(ofHost:service:)`` for an endpoint URL (`https://host[:port][/path]`).
    public static func signingRegion(ofURL url: String, service: String) -> String? {
        URLParts(url).host.flatMap { signingRegion(ofHost: $0, service: service) }
    }

    /// `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`: parts of lowercase letters, at least two
    /// of them, then a number, joined by `-`. (Not S3's legacy `s3-us-west-2`, nor
    /// `s3-external-1`.)
    public static func isRegionName(_ label: String) -> Bool {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let first = parts.first, let last = parts.last else { return false }
        func letters(_ part: Substring) -> Bool { !part.isEmpty && part.utf8.allSatisfy(\.isASCIILowercase) }
        return first.utf8.count >= 2 && letters(first) && parts.dropFirst().dropLast().allSatisfy(letters)
            && !last.isEmpty && last.utf8.allSatisfy(\.isASCIIDigit)
    }

    /// A VPC endpoint's DNS label: `vpce-` then letters, digits and hyphens.
    public static func isEndpointID(_ label: String) -> Bool {
        label.hasPrefix("vpce-") && label.count > 5
            && label.utf8.allSatisfy { isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool {
        byte.isASCIILowercase || byte.isASCIIDigit
    }
}
