import AWSCore
import Foundation
import HTTP
import Logging
import SQS
import SigV4
import Synchronization
import Systemd
import TaskQueue
import TestSupport

@testable import Delegate

/// A scripted SQS endpoint for the SQS intake's unit tests, and an intake that talks to it (not
/// started: tests call its parts). Batch calls report every entry as failed with `batchFailure`,
/// or with `refuseBatchAction` are refused as a whole (400, `AccessDenied`); single calls succeed,
/// a single `SendMessage` after `sendDelay`, but for the first `failedVisibilityChanges`
/// `ChangeMessageVisibility` calls (500, `InternalError`); with `deleteDelay`, deletes (batched or
/// not) are answered after it.
struct SQSScriptedEndpoint {
    let server: LoopbackHTTPServer

    init(
        batchFailure failure: (code: String, senderFault: Bool) = (code: "InternalError", senderFault: false),
        refuseBatchAction: Bool = false, sendDelay: Duration = .zero, failedVisibilityChanges: Int = 0,
        deleteDelay: Duration = .zero
    ) throws {
        let visibilityFailuresLeft = Mutex(failedVisibilityChanges)
        server = try LoopbackHTTPServer { request in
            let target = request.headers["X-Amz-Target"] ?? ""
            let json: HTTPHeaders = ["Content-Type": "application/x-amz-json-1.0"]
            if target == "AmazonSQS.ChangeMessageVisibility",
                visibilityFailuresLeft.withLock({ left in
                    defer { left -= 1 }
                    return left > 0
                })
            {
                return ScriptedResponse(
                    status: 500, headers: json, body: #"{"__type":"com.amazonaws.sqs#InternalError","message":"try later"}"#)
            }
            if target.hasSuffix("Batch"), refuseBatchAction {
                return ScriptedResponse(
                    status: 400, headers: json,
                    body: #"{"__type":"com.amazonaws.sqs#AccessDenied","message":"not allowed: \#(target)"}"#)
            }
            if target.hasPrefix("AmazonSQS.DeleteMessage"), deleteDelay > .zero {
                return ScriptedResponse(status: 200, headers: json, body: "{}", delay: deleteDelay)
            }
            if target.hasSuffix("Batch") {
                let count = request.bodyText.components(separatedBy: "\"Id\"").count - 1
                let failed = (0..<count).map {
                    #"{"Id":"\#($0)","Code":"\#(failure.code)","Message":"entry \#($0) failed","SenderFault":\#(failure.senderFault)}"#
                }
                return ScriptedResponse(
                    status: 200, headers: json, body: #"{"Successful":[],"Failed":[\#(failed.joined(separator: ","))]}"#)
            }
            return ScriptedResponse(
                status: 200, headers: json, body: #"{"MessageId":"m-1"}"#,
                delay: target == "AmazonSQS.SendMessage" ? sendDelay : .zero)
        }
    }

    /// The actions the endpoint was called with (`X-Amz-Target` without `AmazonSQS.`), in order.
    var actions: [String] {
        server.recordedRequests.map { ($0.headers["X-Amz-Target"] ?? "").replacingOccurrences(of: "AmazonSQS.", with: "") }
    }

    /// The bodies of the calls of `action`.
    func bodies(of action: String) -> [String] {
        server.recordedRequests.filter { $0.headers["X-Amz-Target"] == "AmazonSQS.\(action)" }.map(\.bodyText)
    }

    func queue(_ name: String) throws -> SQSQueueURL { try SQSQueueURL("\(server.baseURL)/123456789012/\(name)") }

    /// An intake (delegate without tags) whose clients talk to this endpoint, its HTTP client (to
    /// shut down) and the sleeper it waits with (`random` is always 0.5). The intake (its result
    /// and delete batches) logs to `logger`, by default nowhere.
    func intake(logger: Logger? = nil) throws -> (SQSIntake, CurlHTTPClient, RecordingSleeper) {
        let section = DelegateConfiguration.SQSSection(
            queueURLs: [], region: "us-east-1", endpoint: server.baseURL, waitSeconds: 1, visibilitySeconds: 5)
        let sleeper = RecordingSleeper(pause: .milliseconds(1))
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (intake, http) = try Self.makeIntake(section: section, sleeper: sleeper, logger: logger ?? quiet)
        return (intake, http, sleeper)
    }

    /// An SQS intake with `section`, not started, for a delegate without tags whose AWS clients
    /// make one attempt per call, and the HTTP client it uses (to shut down). `random` is 0.5.
    /// `dispatcher`, when given, runs its tasks (one with a scripted Secrets Manager, say).
    /// `settings`, when given, is read instead of `section` (a reload changes what it returns).
    static func makeIntake(
        section: DelegateConfiguration.SQSSection, sleeper: RecordingSleeper, status: SQSQueueStatus = SQSQueueStatus(),
        settings: (@Sendable () -> DelegateConfiguration.SQSSection)? = nil, dispatcher: TaskDispatcher? = nil,
        logger: Logger
    ) throws -> (SQSIntake, CurlHTTPClient) {
        let configuration = try DelegateConfiguration.load(
            tomlText: "[queue]\nspool_dir = \"\"\nsocket_path = \"\"\n[aws]\nmax_attempts = 1\n[identity]\nsources = [\"environment\"]",
            environment: [:], hostName: "sqs-scripted")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let http = try CurlHTTPClient(configuration: .init(environment: [:]), logger: quiet)
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: quiet), logger: quiet, logLimiter: LogRateLimiter(), clock: SystemWallClock(),
            httpClient: http)
        let intake = SQSIntake(
            dispatcher: dispatcher ?? components.dispatcher, settings: settings ?? { section }, clients: components.clients,
            identity: { StaticCredentialProvider(Credentials(accessKeyId: "AKIDUNIT", secretAccessKey: "unit-secret")) },
            status: status, sleeper: sleeper, random: { 0.5 }, logLimiter: LogRateLimiter(), logger: logger)
        return (intake, http)
    }
}
