/// What an Amazon endpoint's host name says about the region it serves: an endpoint override
/// that names a region is signed for that region, whatever the task's.
public enum AmazonHost {
    /// The region `host` (no port; any case) names as an endpoint of `service`, nil for any other
    /// host (an emulator, a proxy, another service's):
    /// - `<service>.<region>.amazonaws.com`, `<service>-fips.<region>.amazonaws.com`, `.com.cn`
    /// - dual-stack `<service>.<region>.api.aws`, `<service>-fips.<region>.api.aws`
    /// - VPC endpoints, `<vpce-id>.<service>.<region>.vpce.amazonaws.com[.cn]`
    /// - STS's global `sts.amazonaws.com`, which signs as us-east-1
    public static func region(ofHost host: String, service: String) -> String? {
        let host = host.lowercased()
        guard host.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func region(_ label: String) -> String? { isRegionName(label) ? label : nil }
        let names = [service, service + "-fips"]
        switch labels.count {
        case 3 where service == "sts" && labels == ["sts", "amazonaws", "com"]:
            return "us-east-1"
        case 4 where names.contains(labels[0]) && (labels[2...] == ["amazonaws", "com"] || labels[2...] == ["api", "aws"]):
            return region(labels[1])
        case 5 where names.contains(labels[0]) && labels[2...] == ["amazonaws", "com", "cn"]:
            return region(labels[1])
        case 6 where isEndpointID(labels[0]) && labels[1] == service && labels[3...] == ["vpce", "amazonaws", "com"],
            7 where isEndpointID(labels[0]) && labels[1] == service && labels[3...] == ["vpce", "amazonaws", "com", "cn"]:
            return region(labels[2])
        default:
            return nil
        }
    }

    /// ``region(ofHost:service:)`` for an endpoint URL (`https://host[:port][/path]`).
    public static func region(ofURL url: String, service: String) -> String? {
        URLParts(url).host.flatMap { region(ofHost: $0, service: service) }
    }

    /// The region an endpoint override's host names, to sign for it and to judge which
    /// connectors it serves: ``region(ofHost:service:)``'s hosts, written with a fully qualified
    /// name's trailing dot or not, and the same shapes in AWS's other partitions
    /// (`<service>.<region>.amazonaws.eu`, `.c2s.ic.gov`, `.sc2s.sgov.gov`, `.csp.hci.ic.gov`,
    /// `.cloud.adc-e.uk`, and their VPC endpoints). Not to trust a host with anything: SQS judges
    /// where a result may go by ``region(ofHost:service:)`` alone.
    public static func signingRegion(ofHost host: String, service: String) -> String? {
        var host = host.lowercased()
        if host.count > 1, host.hasSuffix(".") { host.removeLast() }
        if let region = region(ofHost: host, service: service) { return region }
        guard host.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (_, domain) in AWSServiceEndpoint.partitionDomains {
            let suffix = domain.split(separator: ".").map(String.init)
            if labels.count == 2 + suffix.count, [service, service + "-fips"].contains(labels[0]),
                Array(labels[2...]) == suffix, isRegionName(labels[1])
            {
                return labels[1]
            }
            if labels.count == 4 + suffix.count, isEndpointID(labels[0]), labels[1] == service, labels[3] == "vpce",
                Array(labels[4...]) == suffix, isRegionName(labels[2])
            {
                return labels[2]
            }
        }
        return nil
    }

    /// ``signingRegion(ofHost:service:)`` for an endpoint URL.
    public static func signingRegion(ofURL url: String, service: String) -> String? {
        URLParts(url).host.flatMap { signingRegion(ofHost: $0, service: service) }
    }

    /// `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`: parts of lowercase letters, at least two
    /// of them, then a number, joined by `-`. (Not S3's legacy `s3-us-west-2`, nor
    /// `s3-external-1`.)
    public static func isRegionName(_ label: String) -> Bool {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let first = parts.first, let last = parts.last else { return false }
        func letters(_ part: Substring) -> Bool { !part.isEmpty && part.utf8.allSatisfy(isLowercaseLetter) }
        return first.utf8.count >= 2 && letters(first) && parts.dropFirst().dropLast().allSatisfy(letters)
            && !last.isEmpty && last.utf8.allSatisfy(isDigit)
    }

    /// A VPC endpoint's DNS label: `vpce-` then letters, digits and hyphens.
    public static func isEndpointID(_ label: String) -> Bool {
        label.hasPrefix("vpce-") && label.count > 5
            && label.utf8.allSatisfy { isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool {
        isLowercaseLetter(byte) || isDigit(byte)
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
