import AWSCore
import Foundation
import Logging
import TestSupport
import Testing

@testable import Delegate

@Suite struct InFlightTrackerTests {
    func label(_ id: String) -> InFlightTracker.Label {
        .init(taskID: id, connectorID: "prod", operation: "getSecretValue")
    }

    /// A task past its deadline and the allowance counts as a stall, and is named (the line that
    /// withholds the watchdog says which task to look at), the longest overrun first.
    @Test func aTaskPastItsDeadlineAndTheAllowanceCountsAsAStall() async {
        let tracker = InFlightTracker()
        let start = SuspendingClock.now
        #expect(tracker.overrun(now: start + .seconds(3600)).isEmpty)  // nothing running
        let quick = tracker.enter(deadline: .seconds(5), label: label("quick"), now: start)
        let slow = tracker.enter(deadline: .seconds(60), label: label("slow"), now: start)
        let justInside = start + .seconds(5) + InFlightTracker.overrunAllowance - .milliseconds(1)
        #expect(tracker.overrun(now: justInside).isEmpty)
        #expect(tracker.overrun(now: start + .seconds(5) + InFlightTracker.overrunAllowance + .seconds(1)) == [label("quick")])
        #expect(tracker.overrun(now: start + .seconds(91)) == [label("quick"), label("slow")])
        tracker.leave(quick)
        #expect(tracker.overrun(now: start + .seconds(40)).isEmpty)
        #expect(tracker.overrun(now: start + .seconds(91)) == [label("slow")])
        tracker.leave(slow)
        #expect(tracker.overrun(now: start + .seconds(3600)).isEmpty)
        #expect(tracker.current == 0)
    }

    /// An action for "once the tasks running now have left" runs when the last of them leaves,
    /// whatever started after it; at once when none runs.
    @Test func anActionWaitsForTheTasksRunningWhenItWasGivenOnly() {
        let tracker = InFlightTracker()
        let ran = CallCounter()
        tracker.whenRunningNowHaveLeft { ran.increment() }
        #expect(ran.count == 1, "nothing ran: at once")
        let first = tracker.enter(deadline: .seconds(60))
        let second = tracker.enter(deadline: .seconds(60))
        tracker.whenRunningNowHaveLeft { ran.increment() }
        let later = tracker.enter(deadline: .seconds(60))
        tracker.leave(second)
        #expect(ran.count == 1)
        tracker.leave(first)
        #expect(ran.count == 2, "the tasks running when it was given have left")
        tracker.leave(later)
        #expect(ran.count == 2, "run once")
    }

    /// A zero timeout with a task running answers "not idle", every time, and returns: the stop
    /// asks this when the grace period ran out. (The race it guards against, the timeout winning
    /// before the idle waiter is registered, depends on scheduling; this repeats the call rather
    /// than forcing that order.)
    @Test func aZeroTimeoutNeverWaitsForTheTasks() async {
        let tracker = InFlightTracker()
        let running = tracker.enter(deadline: .seconds(3600), label: label("running"))
        for _ in 0..<200 {
            #expect(await tracker.waitUntilIdle(timeout: .zero) == false)
        }
        tracker.leave(running)
        #expect(await tracker.waitUntilIdle(timeout: .zero))
    }
}

/// The dispatcher records each running task with its id, connector and operation: the line that
/// withholds the watchdog names the task that overran from them.
@Suite struct DispatcherInFlightLabelTests {
    @Test func aRunningTaskIsRecordedByItsIDConnectorAndOperation() async throws {
        let http = ScriptedHTTPClient()
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, accessKeyID: "AKIDINFLIGHT", endpoint: ScriptedExecutorFixture.endpoint, clock: SystemWallClock())
        let task = try DelegateTask.decode(TaskFixtures.task(), defaultID: nil)
        let running = Task { await dispatcher.run(task, receivedAt: Date(), logger: Logger(label: "test")) }
        #expect(await eventually { http.holding == 1 })
        let past = SuspendingClock.now + .seconds(task.deadlineSeconds) + InFlightTracker.overrunAllowance + .seconds(1)
        #expect(
            dispatcher.inFlight.overrun(now: past)
                == [InFlightTracker.Label(taskID: task.id, connectorID: task.connector.id, operation: "getSecretValue")])
        http.releaseHeld()
        _ = await running.value
        #expect(dispatcher.inFlight.current == 0)
    }

    /// A task's deadline counts from its receipt, a wait for a slot included (as the executor
    /// counts it): one that waited most of it overruns that much sooner, not a whole deadline
    /// after it started.
    @Test func aTaskThatWaitedOverrunsItsDeadlineFromItsReceipt() async throws {
        let http = ScriptedHTTPClient()
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let dispatcher = ScriptedExecutorFixture.dispatcher(
            http: http, accessKeyID: "AKIDINFLIGHT", endpoint: ScriptedExecutorFixture.endpoint, clock: SystemWallClock())
        let task = try DelegateTask.decode(TaskFixtures.task { $0["deadlineSeconds"] = 600 }, defaultID: nil)
        // Received 540 s ago: 60 s of its deadline are left.
        let receivedAt = Date().addingTimeInterval(-Double(task.deadlineSeconds - 60))
        let running = Task { await dispatcher.run(task, receivedAt: receivedAt, logger: Logger(label: "test")) }
        #expect(await eventually { http.holding == 1 })
        let soon = SuspendingClock.now + .seconds(61) + InFlightTracker.overrunAllowance
        #expect(dispatcher.inFlight.overrun(now: soon).map(\.taskID) == [task.id])
        #expect(dispatcher.inFlight.overrun(now: .now + InFlightTracker.overrunAllowance).isEmpty)
        http.releaseHeld()
        _ = await running.value
    }
}
