import Foundation
import Logging
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// The credentials socket's reads have slots of their own: tasks a producer queues (up to their
/// deadlines of an hour) never hold a unit's start back.
@Suite struct CredentialSlotTests {
    let http = ScriptedHTTPClient()
    let logger = Logger(label: "credential-slots", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A dispatcher of one task slot on the scripted endpoint whose `[[credential]]` entry serves
    /// `app.service`'s credential `db` (the secret `db`) through the named connector `prod`.
    func dispatcherServingAppDB() throws -> TaskDispatcher {
        let dispatcher = try TaskDispatcherTests.components(
            endpoint: ScriptedExecutorFixture.endpoint, concurrency: 1, logger: logger, http: http
        ).dispatcher
        let prod = NamedConnector(
            connector: Connector(
                id: "prod", region: "us-east-1", secretNamePrefix: "", delegateSelectors: [], credentials: .instanceRole),
            policy: ConnectorPolicy(), origin: "[connectors.prod]")
        dispatcher.connectors.update(
            connectors: ["prod": prod], allowInline: true,
            credentialMappings: [CredentialMapping(unit: "app.service", id: "db", connector: "prod", secret: "db")])
        return dispatcher
    }

    /// systemd's request for `app.service`'s credential `db` (a new one each time: its timeout mark is its own).
    static var appDBRequest: CredentialSocketServer.Request {
        CredentialSocketServer.Request(
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            sunPath: CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db"))
    }

    @Test(.timeLimit(.minutes(1))) func aCredentialIsServedWhileTasksHoldEverySlot() async throws {
        let dispatcher = try dispatcherServingAppDB()
        let intake = CredentialIntake(dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: logger)
        let request = Self.appDBRequest

        // The task slot is held (AWS holds the answer), and another task waits for it.
        http.script(.target("secretsmanager.GetSecretValue"), .hold(ScriptedExecutorFixture.secret()))
        let first = try TaskDispatcherTests.getSecretValue("running", name: "running", deadline: 30)
        let second = try TaskDispatcherTests.getSecretValue("waiting", name: "waiting", deadline: 30)
        async let running = dispatcher.execute(first, receivedAt: Date(), logger: logger)
        #expect(await eventually { http.holding == 1 })
        async let waiting = dispatcher.execute(second, receivedAt: Date(), logger: logger)
        #expect(await eventually { dispatcher.tasksWaitingForASlot() == 1 })

        http.always(.any, ScriptedExecutorFixture.secret())
        if case .value = await intake.handle(request) {} else { Issue.record("the credential waited behind the tasks") }
        #expect(http.holding == 1, "the running task still runs")
        #expect(dispatcher.tasksWaitingForASlot() == 1, "the waiting task still waits")

        http.releaseHeld()
        #expect(await running.status == .succeeded)
        #expect(await waiting.status == .succeeded)
    }

    /// A read the credentials socket gave up on (a request not answered in its time: the server
    /// cancels the handler, and has refused the request already) is logged as not answered in
    /// time, `DeadlineExceeded`, not as the delegate stopping, which it is not: the refusal's line
    /// and the read's own `task-failed` line both, whether it was running or waiting for a slot.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func aReadTheSocketGaveUpOnIsNotCalledAStop(waitingForASlot: Bool) async throws {
        let dispatcher = try dispatcherServingAppDB()
        http.always(.target("secretsmanager.GetSecretValue"), .hold(ScriptedExecutorFixture.secret()))
        // Waiting: the one credentials slot held by another read, whose AWS call does not answer.
        let holder = CredentialIntake(dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: logger)
        let holding = waitingForASlot ? Task { await holder.handle(Self.appDBRequest) } : nil
        if waitingForASlot { #expect(await eventually { http.holding == 1 }) }

        /// The refusal and `task-failed` lines of a read cancelled, after the server marked its
        /// time as run out or not.
        func lines(timedOut: Bool) async -> (refusal: [String], failed: [String]) {
            let recorder = LogRecorder()
            let intake = CredentialIntake(dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
            let request = Self.appDBRequest
            let handling = Task { await intake.handle(request) }
            if waitingForASlot {
                #expect(await eventually { dispatcher.tasksWaitingForASlot(.credentials) == 1 })
            } else {
                #expect(await eventually { http.holding == 1 })
            }
            // As the server's timer does: marked, then cancelled.
            if timedOut { request.timeout.mark() }
            handling.cancel()
            if case .value = await handling.value { Issue.record("a value served for a request given up on") }
            return (
                recorder.records.filter { $0.contains("credential request refused") },
                recorder.records.filter { $0.contains("event=task-failed") }
            )
        }
        // The server's timer.
        let timedOut = await lines(timedOut: true)
        #expect(
            timedOut.refusal.count == 1 && timedOut.refusal.first?.contains("error_code=DeadlineExceeded") == true,
            "\(timedOut.refusal)")
        #expect(timedOut.refusal.first?.contains("not answered within the credentials socket's time limit") == true)
        #expect(
            timedOut.failed.count == 1 && timedOut.failed.first?.contains("error_code=DeadlineExceeded") == true
                && timedOut.failed.first?.contains("not answered within the credentials socket's time limit") == true,
            "\(timedOut.failed)")
        // Not marked: the services are ending (a start that failed), not the server's timer.
        let ending = await lines(timedOut: false)
        #expect(
            ending.refusal.count == 1 && ending.refusal.first?.contains("error_code=DelegateStopping") == true,
            "\(ending.refusal)")
        #expect(
            ending.failed.count == 1 && ending.failed.first?.contains("error_code=DelegateStopping") == true,
            "\(ending.failed)")
        holding?.cancel()
        _ = await holding?.value
    }
}
