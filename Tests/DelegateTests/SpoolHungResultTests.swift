import Dispatch
import Foundation
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A spool result whose writing hangs (a frozen file system, a hard mount whose server is gone)
/// holds no concurrency slot: socket and SQS tasks still get one. It holds its spool turn, so the
/// spool claims nothing more while `concurrency` results wait so. The same for a task recovered at
/// a start whose result is in `done/` already, while `done/` is synced before its file goes.
@Suite struct SpoolHungResultTests {
    @Test(.timeLimit(.minutes(3)), arguments: [false, true])
    func aHungResultWriteLeavesTheSlotToOtherTasks(recoveredWithItsResult: Bool) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-hung-result")
        let entered = Atomic<Bool>(false)
        let thaw = DispatchSemaphore(value: 0)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (spool, claimed) = try SpoolKeptResultTests.claimedTask(
            directory, logger: quiet,
            doneFsync: { _ throws(TaskQueueError) in
                // Off the cooperative pool (the syncs' own queue): blocking here is a hung disk.
                entered.store(true, ordering: .releasing)
                thaw.wait()
            })
        var task = claimed
        if recoveredWithItsResult {
            try Data(#"{"id":"t-1","status":"succeeded"}"#.utf8).write(to: URL(fileURLWithPath: directory.path("done/t-1.json")))
            task = ClaimedTask(name: claimed.name, path: claimed.path, recovered: true)
        }
        // One slot (the fixture's concurrency), so one turn.
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDHUNG")
        let recorder = LogRecorder()
        let intake = SpoolIntake(
            spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger(),
            hangWarningAfter: .milliseconds(200))

        // As the spool's service does: the writes looked over (every 50 ms here).
        let watching = Task { await intake.watchResultWrites() }
        defer { watching.cancel() }
        // As the spool's run loop does: a turn and a slot, the slot given back once the task ran.
        #expect(await dispatcher.reserveSpoolTurn())
        let spoolTask = Task {
            let slot = HeldSlot { dispatcher.releaseSlots() }
            await intake.runClaimed(task, receivedAt: Date(), slot: slot)
            slot.release()
            dispatcher.releaseSpoolTurn()
        }
        let began = await eventually(within: .seconds(30)) { entered.load(ordering: .acquiring) }
        #expect(began, "the result's fsync began")

        // Its result hangs in the fsync; another intake's task gets the one slot.
        let socketGot = Atomic<Bool>(false)
        let socketSlot = Task {
            let got = await dispatcher.reserveSlot()
            socketGot.store(true, ordering: .releasing)
            return got
        }
        let gotSlot = await eventually { socketGot.load(ordering: .acquiring) }
        #expect(gotSlot, "a socket task got the slot while the spool result hangs")
        if !gotSlot { thaw.signal() }  // (so that the test ends)
        #expect(await socketSlot.value)
        dispatcher.releaseSlots()
        // The spool's next task waits for the hung result, though a slot is free: its turn is.
        let nextTurnTaken = Atomic<Bool>(false)
        let nextTurn = Task {
            let got = await dispatcher.reserveSpoolTurn()
            nextTurnTaken.store(true, ordering: .releasing)
            return got
        }
        try await Task.sleep(for: .milliseconds(300))
        let takenWhileHung = nextTurnTaken.load(ordering: .acquiring)
        #expect(!takenWhileHung, "no spool turn while the result hangs")
        #expect(dispatcher.slotsInUse() == 0)
        // Told: the journal says so, and the status counts it (the spool shown paused).
        let told = await eventually {
            recorder.records.contains {
                $0.contains("warning \(recoveredWithItsResult ? "syncing done/" : "writing the result") for t-1.json has not returned after")
            }
        }
        #expect(told, "a hung write is logged: \(recorder.records)")
        #expect(intake.unwritten.current == 1, "a hung write is counted as unwritten: \(recorder.records)")

        thaw.signal()
        await spoolTask.value
        // Filed once thawed: the claimed task's file is gone (the result was renamed into done/
        // before the hung sync, so it is no sign).
        #expect(!FileManager.default.fileExists(atPath: directory.path("cur/d/t-1.json")), "the task was filed once thawed")
        #expect(FileManager.default.fileExists(atPath: directory.path("done/t-1.json")))
        #expect(await nextTurn.value, "the next spool turn once the result was filed")
        #expect(intake.unwritten.current == 0, "no longer counted once it returned")
        #expect(recorder.records.contains { $0.contains("for t-1.json returned, after hanging") }, "\(recorder.records)")
        dispatcher.releaseSlots()
        dispatcher.releaseSpoolTurn()
    }
}
