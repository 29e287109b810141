import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// `TaskDispatcher` over a `ScriptedHTTPClient`: the concurrency bound, slots coming back after
/// any outcome, the counters, and a stop while tasks wait for a slot.
@Suite struct TaskDispatcherSlotTests {
    let http = ScriptedHTTPClient()
    let logger = Logger(label: "dispatcher-slots", factory: { _ in SwiftLogNoOpLogHandler() })

    func dispatcher(concurrency: Int) throws -> TaskDispatcher {
        try TaskDispatcherTests.components(
            endpoint: ScriptedExecutorFixture.endpoint, concurrency: concurrency, logger: logger, http: http
        ).dispatcher
    }

    static func task(_ id: String, deadline: Int = 30) throws -> DelegateTask {
        try TaskDispatcherTests.getSecretValue(id, name: id, deadline: deadline)
    }

    @Test func neverMoreTasksRunThanTheConcurrencyAndAllFinish() async throws {
        let dispatcher = try dispatcher(concurrency: 2)
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let results = try await withThrowingTaskGroup(of: TaskResult.self) { group in
            for index in 0..<6 {
                let task = try Self.task("bound-\(index)")
                group.addTask { await dispatcher.execute(task, receivedAt: Date(), logger: logger) }
            }
            // Two tasks reach AWS and wait there; the other four wait for a slot.
            #expect(await eventually { http.holding == 2 })
            #expect(dispatcher.slotsInUse() == 2)
            #expect(dispatcher.status.snapshot.inFlight == 2)
            #expect(http.requests.count == 2, "the waiting tasks were not sent")
            http.removeScripts()
            http.always(.any, ScriptedExecutorFixture.secret())
            http.releaseHeld()
            return try await group.reduce(into: [TaskResult]()) { $0.append($1) }
        }

        #expect(results.count == 6)
        #expect(results.allSatisfy { $0.status == .succeeded })
        #expect(http.mostInFlight == 2, "never more than the concurrency at once")
        #expect(dispatcher.slotsInUse() == 0, "every slot came back")
        let counts = dispatcher.status.snapshot
        #expect(counts.inFlight == 0)
        #expect(counts.succeeded == 6)
    }

    /// The wall clock stepped forward while a task waits for a slot (NTP correcting a host's
    /// clock by hours) is no wait: the task runs when the slot frees, where it used to be answered
    /// `DeadlineExceeded` at once, as if it had waited those hours.
    @Test func aWallClockStepWhileATaskWaitsIsNoWait() async throws {
        let clock = ManualClock(Date())
        let dispatcher = try TaskDispatcherTests.components(
            endpoint: ScriptedExecutorFixture.endpoint, concurrency: 1, logger: logger, http: http, clock: clock
        ).dispatcher
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let first = try Self.task("step-first")
        let second = try Self.task("step-second", deadline: 30)
        let logger = self.logger
        let running = Task { await dispatcher.execute(first, receivedAt: clock.now(), logger: logger) }
        #expect(await eventually { http.holding == 1 })
        let waiting = Task { await dispatcher.execute(second, receivedAt: clock.now(), logger: logger) }
        #expect(await eventually { dispatcher.tasksWaitingForASlot() == 1 })
        clock.advance(by: 2 * 3600)
        http.removeScripts()
        http.always(.any, ScriptedExecutorFixture.secret())
        http.releaseHeld()
        #expect(await running.value.status == .succeeded)
        let result = await waiting.value
        #expect(result.status == .succeeded, "\(String(describing: result.error))")
        #expect(http.requests.count == 2)

        // One whose deadline passes while it waits says how long it waited, on the monotonic
        // clock too: not the hour the wall clock was stepped back meanwhile.
        http.removeScripts()
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let holder = Task { await dispatcher.execute(first, receivedAt: clock.now(), logger: logger) }
        #expect(await eventually { http.holding == 1 })
        let late = try Self.task("step-late", deadline: 30)
        let lateReceived = clock.now()
        let lateWaiting = Task { await dispatcher.execute(late, receivedAt: lateReceived, logger: logger) }
        // The step while it waits: seen waiting first (a step before it arrived is none), well
        // within its deadline, which a loaded machine's pace leaves room for.
        try #require(
            await eventually(within: .seconds(25)) { dispatcher.tasksWaitingForASlot() == 1 },
            "the late task did not reach the wait for a slot before its deadline neared")
        clock.advance(by: -3600)
        let passed = await lateWaiting.value
        #expect(passed.error?.code == .deadlineExceeded)
        // About its 30 s deadline (later on a loaded machine), never the hour the clock went back.
        let message = passed.error?.message ?? ""
        // ("the task waited X s ... before it could start", or, given a slot as its deadline
        // neared, "... it waited X s for a free slot".)
        let waited = message.firstRange(of: "waited ").flatMap { start in
            Double(message[start.upperBound...].prefix { $0 != " " })
        }
        #expect(waited.map { (25..<120).contains($0) } == true, "\(message)")
        http.releaseHeld()
        _ = await holder.value
    }

    @Test func aSlotComesBackAfterEveryKindOfFailure() async throws {
        let dispatcher = try dispatcher(concurrency: 1)
        http.script(
            .any, .awsError("AccessDeniedException"), .transport(.couldNotConnect), .hang,
            ScriptedExecutorFixture.secret())
        var results: [TaskResult] = []
        for (index, deadline) in [30, 30, 1, 30].enumerated() {
            let task = try Self.task("slot-\(index)", deadline: deadline)
            results.append(await dispatcher.execute(task, receivedAt: Date(), logger: logger))
            #expect(dispatcher.slotsInUse() == 0, "the slot is free after task \(index)")
        }

        #expect(results.map(\.status) == [.failed, .failed, .failed, .succeeded])
        #expect(results.map(errorCode) == ["AccessDeniedException", "EndpointUnreachable", "DeadlineExceeded", nil])
        #expect(dispatcher.reserveFreeSlots(upTo: 2) == 1, "exactly the one slot is free")
        let counts = dispatcher.status.snapshot
        #expect(counts.inFlight == 0)
        #expect(counts.failed == 3)
        #expect(counts.succeeded == 1)
    }

    @Test(.timeLimit(.minutes(1))) func tasksWaitingForASlotWhenTheDelegateStopsAreNotStarted() async throws {
        let dispatcher = try dispatcher(concurrency: 1)
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let running = try Self.task("running")
        let waiting = try Self.task("waiting")

        async let first = dispatcher.execute(running, receivedAt: Date(), logger: logger)
        #expect(await eventually { http.holding == 1 })
        async let second = dispatcher.execute(waiting, receivedAt: Date(), logger: logger)
        #expect(await eventually { dispatcher.tasksWaitingForASlot() == 1 })
        dispatcher.stopIntake()

        // Answered as the stop begins, not when the running task frees its slot (which it may
        // hold past the stop's grace period, to its deadline).
        let stopped = await second
        #expect(stopped.status == .failed)
        #expect(errorCode(stopped) == "DelegateStopping")
        #expect(stopped.error?.retryable == true)
        #expect(http.holding == 1, "the running task still runs")
        #expect(dispatcher.slotsInUse() == 1 && dispatcher.tasksWaitingForASlot() == 0)
        // A task arriving after the stop began is not started either, and does not wait.
        let late = await dispatcher.execute(try Self.task("late"), receivedAt: Date(), logger: logger)
        #expect(errorCode(late) == "DelegateStopping")

        http.releaseHeld()
        #expect(await first.status == .succeeded, "a task already running finishes")
        #expect(http.requests.count == 1, "the waiting tasks were never sent")
        #expect(dispatcher.slotsInUse() == 0)
    }

    /// What a reload takes away from a socket peer: a connector's `allowed_users`, or the socket's
    /// own `socket_allowed_users` (the connectors unchanged).
    enum Revocation: CaseIterable { case connector, socketPolicy }

    /// A socket task waiting for a slot while a reload takes its peer's access away is admitted
    /// again before it starts: refused (`NotAuthorized`), never sent. The reload cuts access off
    /// at once, not when a slot frees.
    @Test(.timeLimit(.minutes(1)), arguments: Revocation.allCases)
    func aReloadThatRevokesAccessRefusesATaskWaitingForASlot(_ revocation: Revocation) async throws {
        let dispatcher = try dispatcher(concurrency: 1)
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        func prod(allowing users: [String]) -> [String: NamedConnector] {
            [
                "prod": NamedConnector(
                    connector: Connector(
                        id: "prod", region: "us-east-1", secretNamePrefix: "", delegateSelectors: [],
                        credentials: .instanceRole),
                    policy: ConnectorPolicy(allowedUsers: users, principalsListed: true), origin: "[connectors.prod]")
            ]
        }
        dispatcher.connectors.update(connectors: prod(allowing: ["4242"]), allowInline: true, credentialMappings: [])
        let intake = SocketIntake(
            dispatcher: dispatcher, statusReport: { .null }, logLimiter: LogRateLimiter(), logger: logger)
        let peer = PeerCredentials(pid: 1, uid: 4242, gid: 4242)
        let allowed = SocketPeerAllowed()
        func line(_ id: String) -> Data {
            Data(#"{"id":"\#(id)","operation":"getSecretValue","params":{"name":"db"},"connector":"prod"}"#.utf8)
        }

        async let first = intake.handle(line("running"), peer: peer) { allowed.value }
        #expect(await eventually { http.holding == 1 })
        async let second = intake.handle(line("waiting"), peer: peer) { allowed.value }
        #expect(await eventually { dispatcher.tasksWaitingForASlot() == 1 })
        switch revocation {
        case .connector:
            dispatcher.connectors.update(connectors: prod(allowing: ["2002"]), allowInline: true, credentialMappings: [])
        case .socketPolicy:
            allowed.revoke()
        }
        http.removeScripts()
        http.always(.any, ScriptedExecutorFixture.secret())
        http.releaseHeld()

        #expect(try TaskResult.decode(jsonLine: await first).status == .succeeded, "a task already running finishes")
        let refused = try TaskResult.decode(jsonLine: await second)
        #expect(refused.status == .rejected)
        #expect(errorCode(refused) == "NotAuthorized", "\(refused)")
        let names = revocation == .connector ? "connector prod" : "socket_allowed_users"
        #expect(refused.error?.message.contains(names) == true, "\(refused)")
        #expect(http.requests.count == 1, "the refused task was never sent")
        #expect(dispatcher.slotsInUse() == 0)
        if revocation == .connector {
            // Allowed again: a task arriving now runs.
            dispatcher.connectors.update(connectors: prod(allowing: ["4242"]), allowInline: true, credentialMappings: [])
            #expect(try TaskResult.decode(jsonLine: await intake.handle(line("again"), peer: peer)).status == .succeeded)
        }
    }

    /// The same for the credentials socket: a request waiting for a slot while a reload removes
    /// its `[[credential]]` entry is refused (its unit fails to start), never read; one whose entry
    /// the reload moved to another connector is read through that one, and its record says so.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func aReloadThatChangesACredentialEntryAppliesToARequestWaitingForASlot(removed: Bool) async throws {
        let dispatcher = try dispatcher(concurrency: 1)
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let connectors = Dictionary(
            uniqueKeysWithValues: ["prod", "stage"].map { id in
                (
                    id,
                    NamedConnector(
                        connector: Connector(
                            id: id, region: "us-east-1", secretNamePrefix: "", delegateSelectors: [],
                            credentials: .instanceRole),
                        policy: ConnectorPolicy(), origin: "[connectors.\(id)]")
                )
            })
        func entry(_ connector: String) -> CredentialMapping {
            CredentialMapping(unit: "app.service", id: "db", connector: connector, secret: "db")
        }
        dispatcher.connectors.update(connectors: connectors, allowInline: true, credentialMappings: [entry("prod")])
        let recorder = LogRecorder()
        let intake = CredentialIntake(dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        let request = CredentialSocketServer.Request(
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            sunPath: CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db"))

        async let first = intake.handle(request)
        #expect(await eventually { http.holding == 1 })
        async let second = intake.handle(request)
        #expect(await eventually { dispatcher.tasksWaitingForASlot(.credentials) == 1 })
        dispatcher.connectors.update(
            connectors: connectors, allowInline: true, credentialMappings: removed ? [] : [entry("stage")])
        http.removeScripts()
        http.always(.any, ScriptedExecutorFixture.secret())
        http.releaseHeld()

        if case .value = await first {} else { Issue.record("the request already running was not served") }
        let answer = await second
        #expect(dispatcher.slotsInUse(.credentials) == 0)
        if removed {
            #expect(answer == .refuse)
            #expect(http.requests.count == 1, "the refused request was never read")
            let refused = recorder.records.filter { $0.contains("credential request refused") }
            #expect(refused.count == 1 && refused[0].contains("error_code=NoMapping"), "\(refused)")
            #expect(!refused[0].contains("connector_id="), "no connector: the entry is gone")
            #expect(dispatcher.status.snapshot.rejected == 1, "counted as a refused socket task is")
        } else {
            if case .value = answer {} else { Issue.record("the moved entry's request was not served: \(answer)") }
            let served = recorder.records.filter { $0.contains("credential served") }
            #expect(served.count == 2 && served[1].contains("connector_id=stage"), "\(served)")
        }
    }

    /// A refusal's journal record says whether the connector it names is a configured one or the
    /// task's own (an inline connector may carry a configured connector's id).
    @Test func aRefusalSaysWhetherItsConnectorIsNamedOrInline() throws {
        let dispatcher = try dispatcher(concurrency: 1)
        let recorder = LogRecorder()
        for named in [true, false] {
            _ = dispatcher.rejected(
                TaskRejection(
                    code: .notAuthorized, message: "refused", taskID: "t-\(named)", connectorID: "prod",
                    connectorIsNamed: named),
                receivedAt: Date(), logger: recorder.logger(), logLimiter: LogRateLimiter(), intake: .socket)
        }
        let records = recorder.records.filter { $0.contains("event=task-rejected") }
        #expect(records.contains { $0.contains("task_id=t-true") && $0.contains("connector_kind=named") }, "\(records)")
        #expect(records.contains { $0.contains("task_id=t-false") && $0.contains("connector_kind=inline") }, "\(records)")
    }

    /// A task whose deadline passes while every slot is busy (here with a task AWS holds; tasks
    /// running to deadlines of up to an hour in life) is answered at its deadline, not when a slot
    /// frees: `DeadlineExceeded`, nothing sent, the slot never taken. One already past its
    /// deadline when it would wait (received long ago) is answered at once.
    @Test(arguments: [(deadline: 1, receivedAgo: 0.0), (deadline: 30, receivedAgo: 31.0)])
    func aTaskWhoseDeadlinePassesWhileWaitingForASlotIsAnsweredThen(deadline: Int, receivedAgo: Double) async throws {
        let dispatcher = try dispatcher(concurrency: 1)
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let running = try Self.task("running")
        let waiting = try Self.task("waiting", deadline: deadline)

        async let first = dispatcher.execute(running, receivedAt: Date(), logger: logger)
        #expect(await eventually { http.holding == 1 })
        let started = ContinuousClock.now
        let recorder = LogRecorder()
        let gaveUp = await dispatcher.execute(
            waiting, receivedAt: Date().addingTimeInterval(-receivedAgo), logger: recorder.logger())
        let took = ContinuousClock.now - started
        let left = Duration.seconds(max(0, Double(deadline) - receivedAgo))
        // (The slot stays held: answered only when one freed, it would never be. The upper bound
        // leaves a loaded machine's timer and thread their time.)
        #expect(took >= left && took < left + .seconds(60), "answered after \(took)")
        #expect(gaveUp.status == .failed)
        #expect(errorCode(gaveUp) == "DeadlineExceeded")
        #expect(
            gaveUp.error?.message.contains("for a free slot and its deadline of \(deadline) s passed") == true, "\(gaveUp)")
        #expect(http.holding == 1, "the first task still runs")
        #expect(dispatcher.slotsInUse() == 1 && dispatcher.tasksWaitingForASlot() == 0)
        // Its record says so as a task that ran would (a journal that stopped at "claimed" while
        // status counts it failed would hide overload).
        let failed = recorder.records.filter { $0.contains("event=task-failed") }
        #expect(failed.count == 1, "\(recorder.records)")
        #expect(failed.first?.contains("task_id=waiting") == true && failed.first?.contains("error_code=DeadlineExceeded") == true)
        http.releaseHeld()
        #expect(await first.status == .succeeded)
        #expect(http.requests.count == 1, "the task that gave up was never sent")
        #expect(dispatcher.slotsInUse() == 0)
    }
}

/// Whether a socket's policy still allows a peer, as a reload may change it.
final class SocketPeerAllowed: Sendable {
    private let state = Mutex(true)
    var value: Bool { state.withLock { $0 } }
    func revoke() { state.withLock { $0 = false } }
}
