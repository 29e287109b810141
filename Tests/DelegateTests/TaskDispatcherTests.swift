import AWSCore
import Foundation
import HTTP
import Logging
import Synchronization
import Systemd
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

@Suite struct TaskDispatcherTests {
    private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A daemon's parts, with neither spool nor socket, its HTTP through `http` (or a plain client).
    private func components(_ name: String, http: (any HTTPClient)? = nil) throws -> DelegateDaemon.Components {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [delegate]
                name = "\(name)"
                [queue]
                spool_dir = ""
                socket_path = ""
                [identity]
                sources = ["environment"]
                """,
            environment: [:], hostName: name)
        return try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: Self.logger), logger: Self.logger, logLimiter: LogRateLimiter(),
            clock: SystemWallClock(),
            httpClient: try http ?? CurlHTTPClient(configuration: .init(environment: [:]), logger: Self.logger))
    }

    /// A count shared with child tasks.
    private final class Counter: Sendable {
        let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    /// Loops that wait for the stop (an SQS backoff) are woken by it, not by a poll.
    @Test func waitersForTheStopReturnAtTheStopOrWhenCancelled() async throws {
        let dispatcher = try components("waiting").dispatcher
        let returned = Counter()
        let waiters = (0..<3).map { _ in
            Task {
                await dispatcher.waitUntilStopping()
                returned.increment()
            }
        }
        let cancelled = Task { await dispatcher.waitUntilStopping() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(returned.count == 0)
        cancelled.cancel()
        await cancelled.value  // returns without a stop
        #expect(!dispatcher.isStopping)

        dispatcher.stopIntake()
        for waiter in waiters { await waiter.value }
        #expect(returned.count == 3)
        await dispatcher.waitUntilStopping()  // once stopping, at once
    }

    /// The first of two pieces of work decides; the other is cancelled.
    @Test func aRaceReturnsTheFirstToFinishAndCancelsTheOther() async {
        let loserCancelled = Counter()
        let winner = await Race.first(
            { () -> String in
                try? await Task.sleep(for: .seconds(60))
                if Task.isCancelled { loserCancelled.increment() }
                return "slow"
            },
            { () -> String in "fast" })
        #expect(winner == "fast")
        #expect(loserCancelled.count == 1, "the slow one was cancelled and waited for")
    }

    @Test func aTaskThatArrivesOnceTheDelegateIsStoppingIsNotStarted() async throws {
        let logger = Self.logger
        let http = ScriptedHTTPClient(forwardingTo: try CurlHTTPClient(configuration: .init(environment: [:]), logger: logger))
        let components = try components("stopping", http: http)
        let task = try DelegateTask.decode(
            TaskFixtures.task(operation: "getRandomPassword", params: nil), defaultID: nil)

        components.dispatcher.stopIntake()
        let result = await components.dispatcher.execute(task, receivedAt: Date(), logger: logger)
        #expect(result.status == .failed)
        #expect(result.error?.code == .delegateStopping)
        #expect(result.error?.retryable == true)
        #expect(http.requests.isEmpty)
        #expect(components.dispatcher.status.snapshot.inFlight == 0)
    }

    /// Rejections are rate-limited per intake and error code: a socket peer's flood of invalid
    /// lines never hides a spool `DuplicateTask` or an SQS task deleted unrun, whose journal line
    /// is their only trace (no result is written or sent for them). With one key for every
    /// rejection, the later lines were only counted into a summary of the socket's.
    @Test func oneIntakesRejectionsNeverHideAnothers() throws {
        let dispatcher = try components("limited").dispatcher
        let recorder = LogRecorder()
        let limiter = LogRateLimiter(burst: 3, interval: .seconds(3600))
        for _ in 0..<10 {
            _ = dispatcher.rejected(
                TaskRejection(code: .invalidTask, message: "not a task", taskID: nil), receivedAt: Date(),
                logger: recorder.logger(), logLimiter: limiter, intake: .socket)
        }
        _ = dispatcher.rejected(
            TaskRejection(code: .duplicateTask, message: "an uncollected result is there", taskID: "dup-1"),
            receivedAt: Date(), logger: recorder.logger(), logLimiter: limiter, intake: .spool)
        // Nor does a flood of one queue's invalid messages hide its task deleted unrun.
        for _ in 0..<10 {
            _ = dispatcher.rejected(
                TaskRejection(code: .invalidTask, message: "not a queue task", taskID: nil), receivedAt: Date(),
                logger: recorder.logger(), logLimiter: limiter, intake: .queue)
        }
        _ = dispatcher.rejected(
            TaskRejection(code: .invalidTask, message: "deleted unrun", taskID: "sqs-1"), receivedAt: Date(),
            logger: recorder.logger(), logLimiter: limiter, intake: .queue, kind: .deletedUnrun)
        // Tasks for other delegates: a socket peer's flood hides no spool task's line.
        let task = try DelegateTask.decode(TaskFixtures.task(operation: "getRandomPassword", params: nil), defaultID: nil)
        let decision = dispatcher.matches(["elsewhere"])
        for _ in 0..<10 {
            _ = dispatcher.notSelected(
                task, decision: decision, receivedAt: Date(), logLimiter: limiter, intake: .socket,
                logger: recorder.logger())
        }
        var spoolLogger = recorder.logger()
        spoolLogger[metadataKey: "from"] = "spool"
        _ = dispatcher.notSelected(
            task, decision: decision, receivedAt: Date(), logLimiter: limiter, intake: .spool, logger: spoolLogger)
        let lines = recorder.records
        #expect(lines.filter { $0.contains("not a task") }.count == 3, "\(lines)")
        #expect(lines.contains { $0.contains("error_code=DuplicateTask") && $0.contains("task_id=dup-1") }, "\(lines)")
        #expect(lines.contains { $0.contains("deleted unrun") && $0.contains("task_id=sqs-1") }, "\(lines)")
        #expect(lines.contains { $0.contains("task not for this delegate") && $0.contains("from=spool") }, "\(lines)")
    }

    /// The status object counts tasks per configured connector: an inline connector object that
    /// takes a configured connector's id is not counted as that connector's, whether it is
    /// refused, rejected or not started (a producer could make any count it liked).
    @Test func anInlineConnectorWithAConfiguredIDIsNotCountedAsIt() async throws {
        let dispatcher = try components("counting").dispatcher
        let catalog = dispatcher.connectors
        catalog.update(connectors: ["prod": ConnectorPolicyTests.named()], allowInline: false, credentialMappings: [])
        let principal = ConnectorPolicyTests.nobody
        var inline = TaskFixtures.connector
        inline["id"] = "prod"
        func rejected(_ data: Data) throws -> TaskRejection {
            do {
                _ = try catalog.admit(TaskDocument(data), defaultID: nil, by: principal)
            } catch {
                _ = dispatcher.rejected(error, receivedAt: Date(), logger: Self.logger, logLimiter: LogRateLimiter(), intake: .socket)
                return error
            }
            throw TaskRejection(code: .invalidTask, message: "admitted")
        }

        // Refused (inline connectors off), valid or not (refused for that first): neither counted.
        #expect(try rejected(ConnectorPolicyTests.task(connector: .object(inline))).code == .notAuthorized)
        #expect(try rejected(ConnectorPolicyTests.task(connector: .object(inline), params: ["name": 7])).code == .notAuthorized)
        #expect(catalog.taskCounts == ["prod": 0], "configured, no task counted yet: \(catalog.taskCounts)")
        // The named connector's own rejection is counted.
        #expect(try rejected(ConnectorPolicyTests.task(params: ["name": 7])).connectorIsNamed)
        #expect(catalog.taskCounts == ["prod": 1])

        // Not started at a stop: counted for the named connector only.
        catalog.update(connectors: ["prod": ConnectorPolicyTests.named()], allowInline: true, credentialMappings: [])
        // Inline connectors allowed: rejected for its params, not counted either.
        #expect(try rejected(ConnectorPolicyTests.task(connector: .object(inline), params: ["name": 7])).code == .invalidTask)
        #expect(catalog.taskCounts == ["prod": 1])
        let inlineTask = try catalog.admit(TaskDocument(ConnectorPolicyTests.task(connector: .object(inline))), defaultID: nil, by: principal)
        let namedTask = try catalog.admit(TaskDocument(ConnectorPolicyTests.task()), defaultID: nil, by: principal)
        #expect(inlineTask.namedConnectorID == nil && namedTask.namedConnectorID == "prod")
        dispatcher.stopIntake()
        _ = await dispatcher.execute(inlineTask, receivedAt: Date(), logger: Self.logger)
        _ = await dispatcher.execute(namedTask, receivedAt: Date(), logger: Self.logger)
        #expect(catalog.taskCounts == ["prod": 2])
    }

    /// Components whose Secrets Manager endpoint is `endpoint`, one try per call, and the
    /// delegate's own identity from a made-up environment (for `instanceRole` connectors).
    /// `http` replaces libcurl (a `ScriptedHTTPClient` for unit tests).
    static func components(
        endpoint: String, concurrency: Int, logger: Logger, http: (any HTTPClient)? = nil,
        clock: any WallClock = SystemWallClock()
    ) throws -> DelegateDaemon.Components {
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDDEADLINE", "AWS_SECRET_ACCESS_KEY": "deadline-secret-unused"]
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [delegate]
                name = "deadlines"
                concurrency = \(concurrency)
                [queue]
                spool_dir = ""
                socket_path = ""
                [aws]
                secretsmanager_endpoint = "\(endpoint)"
                max_attempts = 1
                [identity]
                sources = ["environment"]
                """,
            environment: environment, hostName: "deadlines")
        let http = try http ?? CurlHTTPClient(configuration: .init(environment: [:]), logger: logger)
        return try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: environment),
            notifier: SystemdNotifier(logger: logger), logger: logger, logLimiter: LogRateLimiter(),
            clock: clock, httpClient: http)
    }

    static func getSecretValue(_ id: String, name: String, deadline: Int) throws -> DelegateTask {
        try DelegateTask.decode(
            Data(
                (#"{"id":"\#(id)","operation":"getSecretValue","params":{"name":"\#(name)"},"deadlineSeconds":\#(deadline),"#
                    + #""connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}}}"#).utf8),
            defaultID: nil)
    }

    static let secretBody =
        #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf","Name":"s","SecretString":"x","#
        + #""VersionId":"v1","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000}"#

    @Test func theDeadlineCountsTheWaitForASlotAndATaskPastItIsNeverSent() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try LoopbackHTTPServer { request in
            let slow = request.bodyText.contains("slow")
            // Long enough that the waiting task's 1 s deadline passes while it waits for the slot,
            // however late a loaded machine lets the test send it.
            return ScriptedResponse(status: 200, body: Self.secretBody, delay: slow ? .seconds(12) : .zero)
        }
        defer { server.stop() }
        let components = try Self.components(endpoint: server.baseURL, concurrency: 1, logger: logger)
        let dispatcher = components.dispatcher
        let busy = try Self.getSecretValue("busy", name: "slow", deadline: 30)
        let waiting = try Self.getSecretValue("waiting", name: "quick", deadline: 1)

        async let first = dispatcher.execute(busy, receivedAt: Date(), logger: logger)
        // The busy task holds the only slot before the second arrives.
        // (A bound for a loaded machine: a parallel run once took over 10 s to start it.)
        #expect(await eventually(within: .seconds(90)) { server.recordedRequests.count == 1 })
        let receivedAt = Date()
        let second = await dispatcher.execute(waiting, receivedAt: receivedAt, logger: logger)
        #expect(await first.status == .succeeded)

        #expect(second.status == .failed)
        #expect(second.error?.code == .deadlineExceeded)
        #expect(second.error?.retryable == true)
        #expect(second.attempts == 0)
        #expect(second.error?.message.contains("waited") == true, "\(second.error?.message ?? "")")
        #expect(server.recordedRequests.count == 1, "the waiting task was never sent")
        #expect(!server.recordedRequests.contains { $0.bodyText.contains("quick") })
        #expect(second.receivedAt == receivedAt)
    }

    @Test func deadlineExceededReportsTheAttemptsMade() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try LoopbackHTTPServer { _ in
            ScriptedResponse(status: 200, body: Self.secretBody, delay: .seconds(120))
        }
        defer { server.stop() }
        let components = try Self.components(endpoint: server.baseURL, concurrency: 2, logger: logger)
        // 10 s: under the whole suite's load a request once took longer than 1 s to go out.
        let task = try Self.getSecretValue("late", name: "never-answers", deadline: 10)
        let result = await components.dispatcher.execute(task, receivedAt: Date(), logger: logger)
        // The answer would come after 120 s and succeed: DeadlineExceeded shows the 10 s deadline
        // cut the call off (no timing asserted: the machine is shared).
        #expect(result.error?.code == .deadlineExceeded)
        #expect(result.attempts == 1, "one request was sent")
        #expect(server.recordedRequests.count == 1)
    }
}
