import AWSCore
import Foundation
import TestSupport
import Testing

@testable import Delegate

/// One client per endpoint, shared; SQS's long polls on a client of their own; never unbounded.
@Suite struct AWSClientPoolTests {
    static func pool() -> AWSClientPool {
        AWSClientPool(
            settings: .init(options: .init(requestTimeout: .seconds(15))), http: ScriptedHTTPClient(),
            clock: ManualClock(Date()))
    }

    @Test func aClientIsSharedPerEndpointAndLongPollsGetTheirOwn() {
        let pool = Self.pool()
        let endpoint = AWSServiceEndpoint(signingName: "sqs", region: "eu-west-1", url: "https://sqs.eu-west-1.amazonaws.com")
        #expect(pool.sqs(endpoint) === pool.sqs(endpoint))
        #expect(pool.sqs(endpoint, longPoll: true) === pool.sqs(endpoint, longPoll: true))
        #expect(pool.sqs(endpoint) !== pool.sqs(endpoint, longPoll: true))
        #expect(pool.sqs(endpoint).options.requestTimeout == .seconds(15))
        #expect(pool.sqs(endpoint, longPoll: true).options.requestTimeout == .seconds(35))
    }

    /// An STS endpoint override whose host names a region is signed for it, whatever the
    /// connector's region (AWS refuses a scope of another region); the global endpoint as
    /// us-east-1; an emulator's host as the connector's region.
    @Test(arguments: [
        ("https://sts.amazonaws.com", "us-east-1"), ("https://sts.eu-central-1.amazonaws.com", "eu-central-1"),
        ("https://sts-fips.us-east-2.amazonaws.com", "us-east-2"), ("https://STS.ap-south-1.api.aws/", "ap-south-1"),
        ("https://vpce-0abc123-xyz.sts.us-west-2.vpce.amazonaws.com", "us-west-2"),
        ("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"), ("http://127.0.0.1:4566", "eu-west-1"),
        ("https://sts.example.com", "eu-west-1"), ("https://secretsmanager.us-east-1.amazonaws.com", "eu-west-1"),
        // AWS's other partitions, and a fully qualified name's trailing dot.
        ("https://sts.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"), ("https://sts.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1"),
        ("https://sts-fips.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"),
        ("https://vpce-0abc-xyz.sts.eu-isoe-west-1.vpce.cloud.adc-e.uk", "eu-isoe-west-1"),
        ("https://sts.eu-central-1.amazonaws.com.", "eu-central-1"), ("https://sts.us-iso-east-1.c2s.ic.gov.", "us-iso-east-1"),
        ("https://sts.us-iso-east-1.c2s.ic.gov.example", "eu-west-1"), ("https://x.sts.us-iso-east-1.c2s.ic.gov", "eu-west-1"),
        // The dual-stack hosts of China and the European Sovereign Cloud.
        ("https://sts.cn-north-1.api.amazonwebservices.com.cn", "cn-north-1"),
        ("https://sts-fips.cn-northwest-1.api.amazonwebservices.com.cn", "cn-northwest-1"),
        ("https://sts.eusc-de-east-1.api.amazonwebservices.eu", "eusc-de-east-1"),
    ])
    func anSTSOverrideIsSignedForTheRegionItsHostNames(url: String, signing: String) {
        let pool = AWSClientPool(
            settings: .init(stsEndpoint: url), http: ScriptedHTTPClient(), clock: ManualClock(Date()))
        #expect(pool.sts(region: "eu-west-1").endpoint.region == signing)
        #expect(pool.sts(region: "eu-west-1").endpoint.url == url.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
    }

    /// A Secrets Manager override of another region is a problem for a connector whatever the
    /// host's spelling: with a fully qualified name's trailing dot, or in another partition.
    @Test func aSecretsManagerOverrideOfAnotherRegionIsFoundInEverySpelling() {
        for endpoint in [
            "https://secretsmanager.us-east-1.amazonaws.com.", "https://secretsmanager.us-east-1.amazonaws.com",
            "https://secretsmanager.us-iso-east-1.c2s.ic.gov", "https://secretsmanager.us-iso-east-1.c2s.ic.gov.",
        ] {
            let problem = AWSClientPool.secretsManagerRegionProblem(endpoint: endpoint, region: "eu-west-1")
            #expect(problem?.contains("which serves that region's secrets only, and the connector is in eu-west-1") == true, "\(endpoint)")
        }
        #expect(AWSClientPool.secretsManagerRegionProblem(endpoint: "https://secretsmanager.us-east-1.amazonaws.com.", region: "us-east-1") == nil)
        #expect(AWSClientPool.secretsManagerRegionProblem(endpoint: "http://127.0.0.1:4566", region: "eu-west-1") == nil)
    }

    /// Secrets Manager's and STS's clients are one per region, made under the settings in force;
    /// new endpoint settings make new clients (the old ones stay with the tasks holding them).
    @Test func secretsManagerAndSTSClientsArePerRegionAndFollowTheSettings() {
        let pool = Self.pool()
        let east = pool.secretsManager(region: "us-east-1")
        #expect(pool.secretsManager(region: "us-east-1") === east)
        #expect(pool.secretsManager(region: "eu-west-1") !== east)
        #expect(pool.sts(region: "us-east-1") !== east)
        #expect(pool.sts(region: "us-east-1") === pool.sts(region: "us-east-1"))
        #expect(east.endpoint == AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1"))
        #expect(pool.sts(region: "eu-west-1").endpoint.url == "https://sts.eu-west-1.amazonaws.com")

        pool.update(.init(secretsManagerEndpoint: "http://127.0.0.1:4566", options: .init(requestTimeout: .seconds(15))))
        let moved = pool.secretsManager(region: "us-east-1")
        #expect(moved !== east)
        #expect(moved.endpoint.url == "http://127.0.0.1:4566")
        #expect(moved.endpoint.region == "us-east-1")
        #expect(east.endpoint.url == "https://secretsmanager.us-east-1.amazonaws.com", "a client held keeps its endpoint")
    }

    /// Every task's replyTo or region may be a new endpoint: the pool stays bounded, and a stream
    /// of new endpoints pushes out only clients nobody uses, never one in steady use.
    @Test func thePoolIsBoundedAndKeepsTheClientsInUse() {
        let pool = Self.pool()
        let busy = pool.secretsManager(region: "us-east-1")
        for index in 0..<(AWSClientPool.maximumClients * 2 + 10) {
            _ = pool.sqs(
                AWSServiceEndpoint(
                    signingName: "sqs", region: "eu-west-1", url: "https://vpce-\(index).sqs.eu-west-1.vpce.amazonaws.com"))
            if index % 50 == 0 { #expect(pool.secretsManager(region: "us-east-1") === busy) }
        }
        #expect(pool.clientCount == AWSClientPool.maximumClients)
        #expect(pool.secretsManager(region: "us-east-1") === busy, "the client in use was dropped")
    }
}
