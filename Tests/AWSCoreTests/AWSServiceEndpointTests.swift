import Testing

@testable import AWSCore

/// The `Host` header and base path a request is signed with, and the URL it goes to, from the
/// endpoint's URL.
@Suite struct AWSServiceEndpointTests {
    @Test(arguments: [
        ("https://secretsmanager.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com", "/",
            "https://secretsmanager.us-east-1.amazonaws.com/"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080", "/", "http://127.0.0.1:8080/"),
        ("https://vpce.example.com/base/path", "vpce.example.com", "/base/path", "https://vpce.example.com/base/path"),
        ("https://h.example.com/a://b", "h.example.com", "/a://b", "https://h.example.com/a://b"),
        ("host.example.com:443/x", "host.example.com:443", "/x", "host.example.com:443/x"),
        ("host.example.com", "host.example.com", "/", "host.example.com/"),
        ("https://[::1]:4566/", "[::1]:4566", "/", "https://[::1]:4566/"),
        ("https://vpce.example.com/base//", "vpce.example.com", "/base", "https://vpce.example.com/base"),
    ])
    func hostAndPath(url: String, host: String, path: String, requestURL: String) {
        let endpoint = AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: url)
        #expect(endpoint.host == host)
        #expect(endpoint.path == path)
        #expect(endpoint.requestURL == requestURL)
    }

    /// With no URL given: the region's public endpoint under its partition's domain (botocore's
    /// partitions.json), not `amazonaws.com` outside the commercial partition and GovCloud.
    @Test(arguments: [
        ("us-gov-west-1", "https://secretsmanager.us-gov-west-1.amazonaws.com"),
        ("eusc-de-east-1", "https://secretsmanager.eusc-de-east-1.amazonaws.eu"),
        ("us-iso-east-1", "https://secretsmanager.us-iso-east-1.c2s.ic.gov"),
        ("us-isob-east-1", "https://secretsmanager.us-isob-east-1.sc2s.sgov.gov"),
        ("us-isof-south-1", "https://secretsmanager.us-isof-south-1.csp.hci.ic.gov"),
        ("eu-isoe-west-1", "https://secretsmanager.eu-isoe-west-1.cloud.adc-e.uk"),
    ])
    func eachPartitionHasItsDomain(region: String, url: String) {
        #expect(AWSServiceEndpoint(signingName: "secretsmanager", region: region).url == url)
    }

    /// With no URL given: the region's public endpoint, in the China regions under
    /// `amazonaws.com.cn` (their STS and Secrets Manager are not under `amazonaws.com`).
    @Test func theDefaultURLIsTheRegionsPublicEndpoint() {
        #expect(AWSServiceEndpoint(signingName: "sts", region: "eu-west-1").url == "https://sts.eu-west-1.amazonaws.com")
        #expect(AWSServiceEndpoint(signingName: "sts", region: "cn-north-1").url == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(
            AWSServiceEndpoint(signingName: "secretsmanager", region: "cn-northwest-1", url: "").url
                == "https://secretsmanager.cn-northwest-1.amazonaws.com.cn")
        #expect(AWSServiceEndpoint(signingName: "sts", region: "cn-north-1", url: "http://127.0.0.1:9").url == "http://127.0.0.1:9")
    }

    /// Endpoints are equal, and hash alike, when made from the same name, region and URL (a
    /// trailing slash aside); a different URL, region or name makes another.
    @Test func equalityFollowsWhatTheEndpointIsMadeFrom() {
        let endpoint = AWSServiceEndpoint(signingName: "sqs", region: "eu-west-1", url: "https://sqs.example.com/")
        let same = AWSServiceEndpoint(signingName: "sqs", region: "eu-west-1", url: "https://sqs.example.com")
        #expect(endpoint == same)
        #expect(Set([endpoint, same]).count == 1)
        #expect(endpoint != AWSServiceEndpoint(signingName: "sqs", region: "eu-west-2", url: "https://sqs.example.com"))
        #expect(endpoint != AWSServiceEndpoint(signingName: "sts", region: "eu-west-1", url: "https://sqs.example.com"))
        #expect(endpoint != AWSServiceEndpoint(signingName: "sqs", region: "eu-west-1", url: "https://sqs.example.org"))
    }

    @Test func theDefaultURLNamesTheServiceAndRegion() {
        let endpoint = AWSServiceEndpoint(signingName: "sts", region: "eu-west-1")
        #expect(endpoint.host == "sts.eu-west-1.amazonaws.com")
        #expect(endpoint.path == "/")
        #expect(endpoint.requestURL == "https://sts.eu-west-1.amazonaws.com/")
    }
}
