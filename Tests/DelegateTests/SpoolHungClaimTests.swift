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
/// the credentials socket, the watchdog's keep-alive).
@Suite struct SpoolHungClaimTests {
    @Test(.timeLimit(.minutes(2))) func claimsThatHangHoldNoThreadOfTheCooperativePool() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-hung-claim")
        let root = directory.url.path
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let hanging = Atomic<Int>(0)
        let thaw = DispatchSemaphore(value: 0)
        let spool = try Spool(
            directory: root, delegateName: "d", logger: quiet,
            beforeClaim: { _ in
                hanging.add(1, ordering: .relaxed)
                // Frozen; never for good, so that the test ends whatever happens.
                _ = thaw.wait(timeout: .now() + 20)
            })
        try spool.prepare()
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDHUNGCLAIM")
        dispatcher.apply(concurrency: count)
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        for index in 0..<count {
            try SpoolProducer(directory: root).enqueue(id: "t-\(index)", data: Data(#"{"id":"t-\#(index)"}"#.utf8))
        }
        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        let watching = Task { await watcher.run() }
        let running = Task { await intake.run(watcher: watcher, recovered: []) }

        // Looked at from a thread of Dispatch's, not the pool's: does a Swift task still run while
        // the claims hang (as many as the spool's threads, or every thread of the pool's)?
        let ran = RanFlag()
        let ranWhileHung: Bool = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let began = DispatchTime.now()
                while hanging.load(ordering: .relaxed) == 0, DispatchTime.now() < began + 30 { usleep(10_000) }
                usleep(500_000)  // (the other claims pile up)
                Task.detached { ran.value.store(true, ordering: .releasing) }
                let asked = DispatchTime.now()
                while !ran.value.load(ordering: .acquiring), DispatchTime.now() < asked + 5 { usleep(10_000) }
                let result = ran.value.load(ordering: .acquiring)
                for _ in 0..<(2 * count) { thaw.signal() }
                continuation.resume(returning: result)
            }
        }
        #expect(hanging.load(ordering: .relaxed) >= 1, "no claim began")
        #expect(ranWhileHung, "no Swift task ran while the spool's claims hung")
        // Thawed, the claims go through and every task is answered.
        let answered = await eventually(within: .seconds(60)) {
            (0..<count).allSatisfy { FileManager.default.fileExists(atPath: directory.path("done/t-\($0).json")) }
        }
        #expect(answered, "\((try? FileManager.default.contentsOfDirectory(atPath: directory.path("done"))) ?? [])")
        watcher.stop()
        await running.value
        await watching.value
    }

    /// Set by a Swift task, read from a thread of Dispatch's.
    final class RanFlag: Sendable {
        let value = Atomic<Bool>(false)
    }
}
