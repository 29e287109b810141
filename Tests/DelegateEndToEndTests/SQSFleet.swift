import AWSCore
import Foundation
import Logging
@testable import SQS
import SigV4
import TestSupport

/// An SQS scene on the end-to-end fixture's moto: queues, a delegate identity allowed the queue
/// actions, delegates configured to poll, and helpers to send tasks and collect results.
struct SQSFleet: Sendable {
    let fixture: EndToEndFixture
    /// moto's administrator, for setting up and inspecting queues.
    let admin: SQSClient
    /// The delegates' own identity (`[identity]`, by environment variables).
    let identity: Credentials
    let logger = Logger(label: "test.sqs", factory: { _ in SwiftLogNoOpLogHandler() })

    /// README's policy, plus the batch calls under their own names: AWS authorizes
    /// `SendMessageBatch`/`DeleteMessageBatch` as `sqs:SendMessage`/`sqs:DeleteMessage`, moto
    /// checks `sqs:SendMessageBatch`/`sqs:DeleteMessageBatch`.
    static let delegateActions = [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
        "sqs:SendMessage", "sqs:SendMessageBatch", "sqs:DeleteMessageBatch",
    ]

    static func make(
        identityActions: [String] = delegateActions, moto pool: MotoServer.Pool = .queues
    ) async throws -> SQSFleet {
        let fixture = try await EndToEndFixture.make(moto: try await MotoServer.shared(pool))
        _ = try await fixture.addConnectorIdentity("full", allowing: MotoServer.fullPolicyActions)
        let identity = try await fixture.moto.createUser(allowing: identityActions)
        let admin = SQSClient(
            aws: AWSClient(
                endpoint: fixture.moto.endpoint(service: "sqs"), options: .patient(maxAttempts: 5),
                httpClient: fixture.moto.httpClient),
            credentials: StaticCredentialProvider(fixture.moto.admin))
        return SQSFleet(fixture: fixture, admin: admin, identity: identity)
    }

    func queue(_ name: String, attributes: [String: String] = [:]) async throws -> SQSQueueURL {
        var attributes = attributes
        if name.hasSuffix(".fifo") { attributes["FifoQueue"] = "true" }
        return try await admin.createQueue(name: "\(fixture.prefix)-\(name)", attributes: attributes, logger: logger)
    }

    /// A queue whose messages move to a new DLQ after `maxReceiveCount` receives; returns both.
    func queueWithDLQ(_ name: String, maxReceiveCount: Int) async throws -> (queue: SQSQueueURL, dlq: SQSQueueURL) {
        let dlq = try await queue("\(name)-dlq")
        let arn = try await admin.getQueueAttributes(queue: dlq, names: ["QueueArn"], logger: logger)["QueueArn"] ?? ""
        let queue = try await queue(
            name,
            attributes: [
                "RedrivePolicy": #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(maxReceiveCount)"}"#
            ])
        return (queue, dlq)
    }

    /// A delegate configuration polling `queues`, with results to `resultQueue`.
    func configuration(
        name: String, tags: [String], queues: [SQSQueueURL], resultQueue: SQSQueueURL? = nil, concurrency: Int = 8,
        visibilitySeconds: Int = 10, socket: Bool = false, secretsManagerEndpoint: String? = nil,
        requestTimeoutSeconds: Int = 15
    ) -> String {
        fixture.configuration(
            name: name, tags: tags, concurrency: concurrency, socket: socket, endpoint: secretsManagerEndpoint,
            requestTimeoutSeconds: requestTimeoutSeconds,
            extra: """

                [sqs]
                queue_urls = [\(queues.map { "\"\($0.url)\"" }.joined(separator: ", "))]
                region = "\(MotoServer.region)"
                endpoint = "\(fixture.moto.endpoint)"
                wait_seconds = 1
                visibility_seconds = \(visibilitySeconds)
                result_queue_url = "\(resultQueue?.url ?? "")"
                """)
    }

    /// Starts a delegate signing SQS calls as `identity`.
    func start(configuration: String, name: String, identity: Credentials? = nil) throws -> DaemonProcess {
        let identity = identity ?? self.identity
        let daemon = try DaemonProcess(
            configuration: configuration,
            environment: [
                "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": identity.accessKeyId,
                "AWS_SECRET_ACCESS_KEY": identity.secretAccessKey,
            ],
            directory: TemporaryDirectory(prefix: "sd-\(name)"))
        try daemon.start()
        return daemon
    }

    func send(_ task: [String: Any], to queue: SQSQueueURL) async throws {
        let body = String(decoding: try EndToEndFixture.line(task), as: UTF8.self)
        try await sendRaw(body, to: queue)
    }

    func sendRaw(_ body: String, to queue: SQSQueueURL) async throws {
        let id = UUID().uuidString
        try await admin.sendMessage(queue: queue, body: body, groupID: id, deduplicationID: id, logger: logger)
    }

    /// Takes every message on `queue` until `done` says enough or `timeout` passes. They are left
    /// leased for longer than the test, not deleted: moto's DeleteMessage rebuilds the queue's
    /// list without a lock, so a delete here racing a delegate's result send could lose that
    /// result (and the test would wait for it in vain).
    func collect(
        from queue: SQSQueueURL, within timeout: Duration = .seconds(60), until done: ([SQSMessage]) -> Bool
    ) async throws -> [SQSMessage] {
        var messages: [SQSMessage] = []
        let deadline = ContinuousClock.now + timeout
        let lease = min(43_200, Int(timeout.components.seconds) + 600)
        while ContinuousClock.now < deadline, !done(messages) {
            messages += try await admin.receiveMessage(
                queue: queue, options: .init(maxMessages: 10, waitSeconds: 1, visibilitySeconds: lease), logger: logger)
        }
        return messages
    }

    /// Messages on `queue`: visible and in flight.
    func counts(_ queue: SQSQueueURL) async throws -> (visible: Int, inFlight: Int) {
        let attributes = try await admin.getQueueAttributes(
            queue: queue, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            logger: logger)
        return (
            Int(attributes["ApproximateNumberOfMessages"] ?? "") ?? -1,
            Int(attributes["ApproximateNumberOfMessagesNotVisible"] ?? "") ?? -1
        )
    }

    static func object(_ message: SQSMessage) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any]) ?? [:]
    }
}
