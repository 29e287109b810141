import AWSCore
import Foundation
import SQS
import Testing

@testable import Delegate

/// `[sqs]` (docs/INTERFACE.md section 12): defaults, file, environment, validation, rendering.
@Suite struct SQSConfigurationTests {
    @Test func defaultsTurnTheIntakeOff() throws {
        let configuration = try DelegateConfiguration.load(tomlText: nil, environment: [:], hostName: "h")
        #expect(configuration.sqs == DelegateConfiguration.SQSSection())
        #expect(configuration.sqs.queueURLs.isEmpty)
        #expect(configuration.sqs.waitSeconds == 20)
        #expect(configuration.sqs.visibilitySeconds == 60)
        #expect(configuration.sqs.maxMessageBytes == 262_144)
    }

    @Test func fileAndEnvironment() throws {
        let toml = """
            [sqs]
            queue_urls = ["https://sqs.eu-west-1.amazonaws.com/123456789012/tasks"]
            endpoint = "http://127.0.0.1:5000"
            wait_seconds = 1
            visibility_seconds = 5
            result_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/results.fifo"
            max_message_bytes = 1048576
            """
        let environment = [
            "SECRETS_DELEGATE_SQS_QUEUE_URLS": "https://sqs.eu-west-1.amazonaws.com/1/a,https://sqs.eu-west-1.amazonaws.com/1/b",
            "SECRETS_DELEGATE_SQS_REGION": "eu-central-1",
        ]
        let configuration = try DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "h")
        #expect(
            configuration.sqs.queueURLs == [
                "https://sqs.eu-west-1.amazonaws.com/1/a", "https://sqs.eu-west-1.amazonaws.com/1/b",
            ])
        #expect(configuration.sqs.region == "eu-central-1")
        #expect(configuration.sqs.endpoint == "http://127.0.0.1:5000")
        #expect(configuration.sqs.waitSeconds == 1)
        #expect(configuration.sqs.visibilitySeconds == 5)
        #expect(configuration.sqs.resultQueueURL.hasSuffix("results.fifo"))
        #expect(configuration.sqs.maxMessageBytes == 1_048_576)
        let rendered = configuration.renderTOML()
        #expect(rendered.contains("[sqs]\nqueue_urls = ["))
        #expect(try DelegateConfiguration.load(tomlText: rendered, environment: [:], hostName: "h") == configuration)
    }

    @Test(arguments: [
        ("queue_urls = [\"sqs.amazonaws.com/q\"]", "[sqs] queue_urls", "not a queue URL"),
        ("queue_urls = [\"https://h/1/q\", \"https://h/1/q\"]", "[sqs] queue_urls", "twice"),
        (
            "queue_urls = [\"https://sqs.us-east-1.amazonaws.com/1/q\", \"https://sqs.us-east-1.api.aws/1/q\"]",
            "[sqs] queue_urls", "entries 1 and 2 name one queue, spelt two ways"
        ),
        (
            "endpoint = \"http://127.0.0.1:5000\"\nqueue_urls = [\"http://localhost:5000/1/a\", \"http://127.0.0.1:5000/1/q\", \"http://localhost:5000/1/q\"]",
            "[sqs] queue_urls", "entries 2 and 3 name one queue"
        ),
        ("queue_urls = [\"https://h/1/q\", \"https://H:443/1/q/\"]", "[sqs] queue_urls", "entries 1 and 2 name one queue"),
        (
            "endpoint = \"https://vpce-0abc-def.sqs.eu-west-1.vpce.amazonaws.com\"\nqueue_urls = [\"https://sqs.us-east-1.amazonaws.com/1/q\"]",
            "[sqs] queue_urls", "is a queue in us-east-1, and [sqs] endpoint serves its own region only"
        ),
        (
            "endpoint = \"https://sqs.eu-west-1.amazonaws.com\"\nqueue_urls = [\"https://sqs.eu-west-1.amazonaws.com/1/q\"]\nresult_queue_url = \"https://sqs.us-east-1.amazonaws.com/1/r\"",
            "[sqs] result_queue_url", "is a queue in us-east-1"
        ),
        ("wait_seconds = 21", "[sqs] wait_seconds", "between 0 and 20"),
        ("visibility_seconds = 1", "[sqs] visibility_seconds", "between 2 and 43200"),
        ("max_message_bytes = 4095", "[sqs] max_message_bytes", "between 4096 and 1048576"),
        ("max_message_bytes = 1048577", "[sqs] max_message_bytes", "between 4096 and 1048576"),
        ("endpoint = \"ftp://x\"", "[sqs] endpoint", "https://"),
        ("result_queue_url = \"nope\"", "[sqs] result_queue_url", "not a queue URL"),
        ("region = \"us east\"", "[sqs] region", "not a region"),
        (
            "queue_urls = [\"https://h/1/a\", \"https://h/1/tasks\"]\nresult_queue_url = \"https://H/1/tasks\"",
            "[sqs] result_queue_url", "must not be one of [sqs] queue_urls"
        ),
    ])
    func badValuesAreRefused(line: String, key: String, reason: String) throws {
        do {
            _ = try DelegateConfiguration.load(tomlText: "[sqs]\n" + line, environment: [:], hostName: "h")
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.key == key)
            #expect(error.reason.contains(reason))
        }
    }

    @Test func everySQSKeyAppliesOnReload() {
        let keys = ConfigurationKey.all.filter { $0.section == "sqs" }
        #expect(keys.count == 7)
        #expect(keys.allSatisfy { $0.appliesOnReload })
    }

    /// The host the calls go to decides the signing region when it names one: `region` (as the
    /// spec's example sets it) must not sign a reply queue of another region for the wrong one.
    @Test func signingRegionComesFromAnAmazonHostThenTheRegionKey() throws {
        let india = try SQSQueueURL("https://sqs.ap-south-1.amazonaws.com/1/q")
        let emulator = try SQSQueueURL("http://127.0.0.1:4566/000000000000/q")
        #expect(DelegateConfiguration.SQSSection().signingRegion(for: india) == "ap-south-1")
        #expect(DelegateConfiguration.SQSSection(region: "us-east-1").signingRegion(for: india) == "ap-south-1")
        #expect(DelegateConfiguration.SQSSection(region: "eu-west-1").signingRegion(for: emulator) == "eu-west-1")
        #expect(DelegateConfiguration.SQSSection().signingRegion(for: emulator) == "us-east-1")
        // An endpoint override: its host's region, else `region`, else the queue URL's.
        let vpce = DelegateConfiguration.SQSSection(
            region: "us-east-1", endpoint: "https://vpce-0abc-xyz.sqs.eu-west-2.vpce.amazonaws.com/")
        #expect(vpce.signingRegion(for: india) == "eu-west-2")
        // Written with a fully qualified name's trailing dot, the same host: signed for its region,
        // and a queue of another region is one it cannot reach.
        let dotted = DelegateConfiguration.SQSSection(region: "us-east-1", endpoint: "https://sqs.eu-west-2.amazonaws.com.")
        #expect(dotted.signingRegion(for: india) == "eu-west-2")
        #expect(!dotted.reaches(india))
        #expect(dotted.reaches(try SQSQueueURL("https://sqs.eu-west-2.amazonaws.com/1/q")))
        let local = DelegateConfiguration.SQSSection(endpoint: "http://127.0.0.1:4566")
        #expect(local.signingRegion(for: india) == "ap-south-1")
        var localWithRegion = local
        localWithRegion.region = "us-west-2"
        #expect(localWithRegion.signingRegion(for: india) == "us-west-2")
        // Another partition's SQS host (not one a result may go to unless configured): signed for
        // the region it seems to name when `region` is empty, as before.
        let isolated = try SQSQueueURL("https://sqs.us-iso-east-1.c2s.ic.gov/1/q")
        #expect(isolated.amazonSQSRegion == nil)
        #expect(DelegateConfiguration.SQSSection().signingRegion(for: isolated) == "us-iso-east-1")
        #expect(DelegateConfiguration.SQSSection(region: "us-iso-west-1").signingRegion(for: isolated) == "us-iso-west-1")
    }

    @Test func onlyAmazonSQSHostsNameARegion() throws {
        let hosts: [(String, String?)] = [
            ("sqs.eu-west-1.amazonaws.com", "eu-west-1"),
            ("SQS.EU-WEST-1.AMAZONAWS.COM", "eu-west-1"),
            ("sqs-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
            ("sqs.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            ("sqs.eu-west-1.api.aws", "eu-west-1"),
            ("sqs.cn-north-1.api.amazonwebservices.com.cn", "cn-north-1"),
            ("queue.amazonaws.com", "us-east-1"),
            ("ap-south-1.queue.amazonaws.com", "ap-south-1"),
            // China's legacy hosts, which older SDKs gave queue URLs on; in China only.
            ("cn-north-1.queue.amazonaws.com.cn", "cn-north-1"),
            ("CN-NORTHWEST-1.QUEUE.AMAZONAWS.COM.CN", "cn-northwest-1"),
            ("eu-west-1.queue.amazonaws.com.cn", nil),
            ("x.cn-north-1.queue.amazonaws.com.cn", nil),
            ("vpce-0abc-xyz.sqs.eu-west-1.vpce.amazonaws.com", "eu-west-1"),
            ("vpce-0abc-xyz.sqs.cn-north-1.vpce.amazonaws.com.cn", "cn-north-1"),
            // Other AWS services' hosts take requests from anyone's account.
            ("abc123.execute-api.us-east-1.amazonaws.com", nil),
            ("abc.appsync-api.eu-west-1.amazonaws.com", nil),
            ("bucket.s3.amazonaws.com", nil),
            ("sqs.amazonaws.com", nil),
            ("sqs.eu-west-1.amazonaws.com.attacker.example", nil),
            ("x.sqs.eu-west-1.amazonaws.com", nil),
            ("vpce-0abc.execute-api.eu-west-1.vpce.amazonaws.com", nil),
            ("sqs.eu_west_1.amazonaws.com", nil),
            ("sqs..amazonaws.com", nil),
            ("127.0.0.1", nil),
            // Only letters, digits, dots and hyphens, so no other parser reads the host otherwise.
            ("vpce-x%2eevil.sqs.eu-west-1.vpce.amazonaws.com", nil),
            ("vpce-x#.sqs.eu-west-1.vpce.amazonaws.com", nil),
            ("vpce-x\\.sqs.eu-west-1.vpce.amazonaws.com", nil),
            ("vpce-.sqs.eu-west-1.vpce.amazonaws.com", nil),
            ("vpce_x.sqs.eu-west-1.vpce.amazonaws.com", nil),
            ("sqs.eu-west-1.amazonaws.com.", nil),
            // S3's legacy regional hosts: a bucket named "sqs" or "sqs-fips" would get the result.
            ("sqs.s3-us-west-2.amazonaws.com", nil),
            ("sqs-fips.s3-us-west-2.amazonaws.com", nil),
            ("sqs.s3-external-1.amazonaws.com", nil),
            ("sqs-fips.s3-website-us-east-1.amazonaws.com", nil),
            ("sqs.ap-southeast-2.amazonaws.com", "ap-southeast-2"),
            ("sqs.il-central-1.amazonaws.com", "il-central-1"),
        ]
        // AWS's other partitions are signed for the region their host names (never trusted with
        // results): the European Sovereign Cloud's too.
        #expect(SQSQueueURL.guessedRegion(host: "sqs.eusc-de-east-1.amazonaws.eu") == "eusc-de-east-1")
        #expect(SQSQueueURL.guessedRegion(host: "sqs.us-isob-east-1.sc2s.sgov.gov") == "us-isob-east-1")
        #expect(SQSQueueURL.guessedRegion(host: "us-isob-east-1.queue.sc2s.sgov.gov") == "us-isob-east-1")
        #expect(SQSQueueURL.guessedRegion(host: "queue.sc2s.sgov.gov") == nil)
        #expect(SQSQueueURL.guessedRegion(host: "bucket.queue.example") == nil)
        for (host, region) in hosts {
            #expect(SQSQueueURL.amazonSQSRegion(host: host) == region, "\(host)")
        }
        // User information makes no queue URL at all (and its password is never quoted).
        let error = #expect(throws: AWSError.self) { try SQSQueueURL("https://user:p4ss@sqs.eu-west-1.amazonaws.com/1/q") }
        #expect(error?.message == "a queue URL must not contain a user name or password")
        // Nor where the password holds a "/" (the authority would seem to end before the "@").
        let slashed = #expect(throws: AWSError.self) { try SQSQueueURL("https://user:p4/ss@sqs.eu-west-1.amazonaws.com/1/q") }
        #expect(slashed?.message == "a queue URL must not contain a user name or password")
        #expect(try SQSQueueURL("https://sqs.eu-west-1.amazonaws.com:443/1/q").amazonSQSRegion == "eu-west-1")
    }

    @Test func repliesGoOnlyWhereTheDelegatesOwnQueuesAre() throws {
        let sqs = DelegateConfiguration.SQSSection(
            queueURLs: ["http://127.0.0.1:4566/000000000000/tasks"],
            resultQueueURL: "https://results.internal:8443/1/results")
        func permits(_ url: String) throws -> Bool { sqs.permitsReplies(to: try SQSQueueURL(url)) }
        #expect(try permits("https://sqs.eu-west-1.amazonaws.com/123456789012/replies"))
        #expect(try permits("https://vpce-0abc-xyz.sqs.eu-west-1.vpce.amazonaws.com/123456789012/replies"))
        #expect(try permits("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/replies"))
        #expect(try permits("http://127.0.0.1:4566/000000000000/other"))  // a configured queue's origin
        #expect(try permits("https://results.internal:8443/1/other"))  // result_queue_url's origin
        #expect(try !permits("http://sqs.eu-west-1.amazonaws.com/123456789012/replies"))  // not https
        #expect(try !permits("https://attacker.example/123456789012/replies"))
        #expect(try !permits("https://amazonaws.com.attacker.example/1/q"))
        #expect(try !permits("http://127.0.0.1:9/000000000000/tasks"))  // another port
        // AWS hosts anyone can run a server behind: not SQS.
        #expect(try !permits("https://abc123.execute-api.us-east-1.amazonaws.com/1/q"))
        #expect(try !permits("https://abc.lambda-url.us-east-1.on.aws/1/q"))
        // With an endpoint override every call goes there, whatever the URL's host, but a regional
        // endpoint serves only its own region's queues.
        var overridden = sqs
        overridden.endpoint = "https://vpce-0abc.sqs.eu-west-1.vpce.amazonaws.com"
        #expect(overridden.permitsReplies(to: try SQSQueueURL("https://attacker.example/1/q")))
        #expect(overridden.permitsReplies(to: try SQSQueueURL("https://sqs.eu-west-1.amazonaws.com/1/q")))
        #expect(!overridden.permitsReplies(to: try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/1/q")))
        overridden.endpoint = "http://127.0.0.1:4566"
        #expect(overridden.permitsReplies(to: try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/1/q")))
    }

    /// The queues parsed once for each change (not at every task) follow every change: a list
    /// set after the section was made (as loading sets each key), a result queue, an endpoint.
    @Test func theQueuesKnownFollowEveryChange() throws {
        var sqs = DelegateConfiguration.SQSSection()
        let tasks = try SQSQueueURL("https://sqs.eu-west-1.amazonaws.com/1/tasks")
        let spelt = try SQSQueueURL("https://eu-west-1.queue.amazonaws.com/1/tasks/")
        let results = try SQSQueueURL("https://results.internal:8443/1/other")
        #expect(!sqs.isTaskQueue(tasks) && !sqs.permitsReplies(to: results))
        sqs.queueURLs = ["https://sqs.eu-west-1.amazonaws.com/1/tasks"]
        #expect(sqs.isTaskQueue(tasks) && sqs.isTaskQueue(spelt))
        // China's legacy spelling and today's are one queue: a replyTo in the other is a task queue.
        var china = DelegateConfiguration.SQSSection()
        china.queueURLs = ["https://cn-north-1.queue.amazonaws.com.cn/1/tasks"]
        #expect(china.isTaskQueue(try SQSQueueURL("https://sqs.cn-north-1.amazonaws.com.cn/1/tasks")))
        #expect(china.signingRegion(for: try SQSQueueURL(china.queueURLs[0])) == "cn-north-1")
        sqs.resultQueueURL = "https://results.internal:8443/1/results"
        #expect(sqs.permitsReplies(to: results))
        // Through one endpoint, a path names the queue whatever the host.
        let elsewhere = try SQSQueueURL("http://127.0.0.1:4566/1/tasks")
        #expect(!sqs.isTaskQueue(elsewhere))
        sqs.endpoint = "http://127.0.0.1:4566"
        #expect(sqs.isTaskQueue(elsewhere))
        sqs.queueURLs = []
        #expect(!sqs.isTaskQueue(tasks) && !sqs.isTaskQueue(elsewhere))
    }

    /// An endpoint of one region takes that region's queues (spelt any way), and an endpoint that
    /// names no region (an emulator) any queue.
    @Test func anEndpointTakesItsRegionsQueues() throws {
        for (endpoint, queue) in [
            ("https://sqs-fips.us-east-1.amazonaws.com", "https://sqs.us-east-1.api.aws/1/q"),
            ("http://127.0.0.1:4566", "https://sqs.eu-west-1.amazonaws.com/1/q"),
        ] {
            let toml = "[sqs]\nendpoint = \"\(endpoint)\"\nqueue_urls = [\"\(queue)\"]\n"
            let loaded = try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
            #expect(loaded.sqs.queueURLs == [queue])
        }
    }
}
