import Dispatch
import Foundation
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A spool whose file system hangs (frozen for a snapshot, a hard mount whose server is gone)
/// holds the spool's own threads, never the cooperative pool's: more claims hanging at once than
/// the pool has threads (one per core) leave Swift's other tasks running (the socket's and SQS's,
/// the credentials socket, the watchdog's keep-alive). And the slots of the spool tasks whose
/// claims hang are given back meanwhile: a backlog does not keep the socket's and SQS's tasks
/// from every slot.
@Suite struct SpoolHungClaimTests {
    @Test(.timeLimit(.minutes(2))) func claimsThatHangHoldNoThreadOfThePoolAndGiveTheirSlotsBack() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-hung-claim")
        let root = directory.url.path
        let recorder = LogRecorder()
        let hanging = Atomic<Int>(0)
        let thaw = DispatchSemaphore(value: 0)
        let spool = try Spool(
            directory: root, delegateName: "d", logger: recorder.logger(),
            beforeClaim: { _ in
                hanging.add(1, ordering: .relaxed)
                // Frozen; never for good, so that the test ends whatever happens.
                _ = thaw.wait(timeout: .now() + 30)
            })
        try spool.prepare()
        // As many tasks as slots, more than the pool has threads.
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDHUNGCLAIM")
        dispatcher.apply(concurrency: count)
        var intake = SpoolIntake(
            spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        intake.slotGivenBackAfter = .milliseconds(400)
        for index in 0..<count {
            try SpoolProducer(directory: root).enqueue(id: "t-\(index)", data: Data(#"{"id":"t-\#(index)"}"#.utf8))
        }
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        let watching = Task { await watcher.run() }
        let running = Task { [intake] in await intake.run(watcher: watcher, recovered: []) }
        let watchingCalls = Task { [intake] in await intake.watchFileCalls() }

        // Looked at from a thread of Dispatch's, not the pool's: does a Swift task still run while
        // the claims hang (as many as the spool's threads, or every thread of the pool's)?
        let ran = Flag()
        let looked = Flag()
        DispatchQueue.global().async {
            let began = DispatchTime.now()
            while hanging.load(ordering: .relaxed) == 0, DispatchTime.now() < began + 30 { usleep(10_000) }
            usleep(500_000)  // (the other claims pile up)
            Task.detached { ran.value.store(true, ordering: .releasing) }
            let asked = DispatchTime.now()
            while !ran.value.load(ordering: .acquiring), DispatchTime.now() < asked + 15 { usleep(10_000) }
            looked.value.store(true, ordering: .releasing)
        }
        // (Polled from the pool: with the bug, only once the claims thawed by their timeout.)
        #expect(await eventually(within: .seconds(60)) { looked.value.load(ordering: .acquiring) })
        #expect(hanging.load(ordering: .relaxed) >= 1, "no claim began")
        let ranWhileHung = ran.value.load(ordering: .acquiring)
        #expect(ranWhileHung, "no Swift task ran while the spool's claims hung")

        // Every slot was the spool's; with its claims hanging, another intake's task gets one.
        let socketGot = Flag()
        let socketSlot = Task {
            let got = await dispatcher.reserveSlot()
            socketGot.value.store(true, ordering: .releasing)
            return got
        }
        let gotSlot = await eventually(within: .seconds(20)) { socketGot.value.load(ordering: .acquiring) }
        #expect(gotSlot, "no slot for another intake's task while the spool's claims hang")
        let told = await eventually(within: .seconds(20)) {
            recorder.records.contains { $0.contains("has not returned after") && $0.contains("slot is given back") }
        }
        #expect(told, "\(recorder.records.suffix(5))")
        for _ in 0..<(4 * count) { thaw.signal() }
        #expect(await socketSlot.value)
        dispatcher.releaseSlots()

        // Thawed, the claims go through, every task is answered, and the slots are all given back.
        let answered = await eventually(within: .seconds(60)) {
            (0..<count).allSatisfy { FileManager.default.fileExists(atPath: directory.path("done/t-\($0).json")) }
        }
        #expect(answered, "\((try? FileManager.default.contentsOfDirectory(atPath: directory.path("done"))) ?? [])")
        #expect(await eventually { dispatcher.slotsInUse() == 0 }, "\(dispatcher.slotsInUse()) slots in use")
        #expect(recorder.records.contains { $0.contains("returned, after hanging") })
        watcher.stop()
        await running.value
        await watching.value
        watchingCalls.cancel()
        await watchingCalls.value
    }

    /// A stop does not wait for claims that hang: the intake ends while they are still blocked,
    /// and once the file system answers, each claim made after the stop is put back into `new/`:
    /// no task is lost, none runs.
    @Test(.timeLimit(.minutes(2))) func aStopDoesNotWaitForClaimsThatHang() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-hung-claim-stop")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let hanging = Atomic<Int>(0)
        let thaw = DispatchSemaphore(value: 0)
        let spool = try Spool(
            directory: root, delegateName: "d", logger: quiet,
            beforeClaim: { _ in
                hanging.add(1, ordering: .relaxed)
                _ = thaw.wait(timeout: .now() + 30)
            })
        try spool.prepare()
        let count = 4
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDHUNGSTOP")
        dispatcher.apply(concurrency: count)
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        for index in 0..<count {
            try SpoolProducer(directory: root).enqueue(id: "t-\(index)", data: Data(#"{"id":"t-\#(index)"}"#.utf8))
        }
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        let watching = Task { await watcher.run() }
        let ended = Flag()
        let running = Task {
            await intake.run(watcher: watcher, recovered: [])
            ended.value.store(true, ordering: .releasing)
        }
        #expect(await eventually(within: .seconds(30)) { hanging.load(ordering: .relaxed) >= 1 }, "no claim began")
        // The stop, as the spool's service makes it: intake closed, watcher stopped, its tasks cancelled.
        dispatcher.stopIntake()
        watcher.stop()
        running.cancel()
        let endedWhileHung = await eventually(within: .seconds(10)) { ended.value.load(ordering: .acquiring) }
        for _ in 0..<(4 * count) { thaw.signal() }
        #expect(endedWhileHung, "the intake waited for the claims that hang")
        await running.value
        await watching.value
        // The claims the lanes made once thawed are put back; nothing ran, nothing is lost.
        let putBack = await eventually(within: .seconds(30)) {
            let queued = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("new"))) ?? []
            return queued.count == count
        }
        #expect(putBack, "in new/: \((try? FileManager.default.contentsOfDirectory(atPath: directory.path("new"))) ?? [])")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory.path("done")))?.isEmpty == true)
    }

    /// Set by a Swift task, read from a thread of Dispatch's.
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }
}
