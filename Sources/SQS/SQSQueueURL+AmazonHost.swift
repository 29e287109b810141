import AWSCore

extension SQSQueueURL {
    /// ``amazonSQSRegion`` for a host name: Amazon SQS's own hosts only, nil for any other (an
    /// emulator, a proxy, a host of another AWS service):
    /// - `sqs.<region>.amazonaws.com`, `sqs.<region>.amazonaws.com.cn`, `sqs-fips.<region>.amazonaws.com`
    /// - dual-stack `sqs.<region>.api.aws`, `sqs-fips.<region>.api.aws`,
    ///   `sqs.<region>.api.amazonwebservices.com.cn`
    /// - the legacy `queue.amazonaws.com` (us-east-1), `<region>.queue.amazonaws.com` and China's
    ///   `cn-<...>.queue.amazonaws.com.cn`
    /// - VPC endpoints, `<vpce-id>.sqs.<region>.vpce.amazonaws.com[.cn]`
    ///
    /// Other hosts under `amazonaws.com` (API Gateway's `*.execute-api.<region>.amazonaws.com`,
    /// say) accept requests from anyone's account, so they are not SQS for this purpose.
    public static func amazonSQSRegion(host: String) -> String? {
        let host = host.lowercased()
        if let region = AmazonHost.region(ofHost: host, service: "sqs") { return region }
        // SQS's own legacy hosts, which no other service shares.
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch labels.count {
        case 3 where labels == ["queue", "amazonaws", "com"]:
            return "us-east-1"
        case 4 where labels[1...] == ["queue", "amazonaws", "com"] && AmazonHost.isRegionName(labels[0]):
            return labels[0]
        case 5
        where labels[1...] == ["queue", "amazonaws", "com", "cn"] && labels[0].hasPrefix("cn-")
            && AmazonHost.isRegionName(labels[0]):
            return labels[0]
        default:
            return nil
        }
    }

    /// The region a host that is not one of ``amazonSQSRegion(host:)``'s seems to name, for signing
    /// only (never to decide where a result may go): `sqs.<region>.<anything>`, as the SQS hosts of
    /// AWS's other partitions are (`sqs.us-iso-east-1.c2s.ic.gov`), or their legacy
    /// `<region>.queue.<anything>` (`us-isob-east-1.queue.sc2s.sgov.gov`); nil otherwise.
    public static func guessedRegion(host: String) -> String? {
        let labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 3 else { return nil }
        let label: Substring
        if labels[0] == "sqs" || labels[0] == "sqs-fips" {
            label = labels[1]
        } else if labels.count >= 4, labels[1] == "queue" {
            label = labels[0]
        } else {
            return nil
        }
        return AmazonHost.isRegionName(String(label)) ? String(label) : nil
    }
}
