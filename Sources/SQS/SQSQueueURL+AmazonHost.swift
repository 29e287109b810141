import AWSCore

extension SQSQueueURL {
    /// ``amazonSQSRegion`` for a host name: Amazon SQS's own hosts only, nil for any other (an
    /// emulator, a proxy, a host of another AWS service):
    /// - `sqs.<region>.amazonaws.com`, `sqs.<region>.amazonaws.com.cn`, `sqs-fips.<region>.amazonaws.com`
    /// - dual-stack `sqs.<region>.api.aws`, `sqs-fips.<region>.api.aws`
    /// - the legacy `queue.amazonaws.com` (us-east-1) and `<region>.queue.amazonaws.com`
    /// - VPC endpoints, `<vpce-id>.sqs.<region>.vpce.amazonaws.com[.cn]`
    ///
    /// Other hosts under `amazonaws.com` (API Gateway's `*.execute-api.<region>.amazonaws.com`,
    /// say) accept requests from anyone's account, so they are not SQS for this purpose.
    public static func amazonSQSRegion(host: String) -> String? {
        let host = host.lowercased()
        // Letters, digits, dots and hyphens only: nothing another URL parser could read otherwise.
        guard host.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
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
        case 6 where isEndpointID(labels[0]) && labels[1] == "sqs" && labels[3...] == ["vpce", "amazonaws", "com"],
            7 where isEndpointID(labels[0]) && labels[1] == "sqs" && labels[3...] == ["vpce", "amazonaws", "com", "cn"]:
            return region(labels[2])
        default:
            return nil
        }
    }

    static func isRegionName(_ label: String) -> Bool { AmazonHost.isRegionName(label) }

    static func isEndpointID(_ label: String) -> Bool { AmazonHost.isEndpointID(label) }

    private static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool {
        isLowercaseLetter(byte) || isDigit(byte)
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// The region a host that is not one of ``amazonSQSRegion(host:)``'s seems to name, for signing
    /// only (never to decide where a result may go): `sqs.<region>.<anything>`, as the SQS hosts of
    /// AWS's other partitions are (`sqs.us-iso-east-1.c2s.ic.gov`); nil otherwise.
    public static func guessedRegion(host: String) -> String? {
        let labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 3, labels[0] == "sqs" || labels[0] == "sqs-fips" else { return nil }
        let label = String(labels[1])
        return isRegionName(label) ? label : nil
    }
}
