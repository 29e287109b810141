import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// ``SpoolHungClaimTests`` on a file system the kernel really freezes, as a snapshot does
/// (`fsfreeze -f`, an ext4 image on a loop device): the claims block in `rename(2)`, on the
/// spool's threads; the rest of the delegate goes on, and their slots are given back until the
/// file system is thawed, then every task is answered.
///
/// It needs root and the kernel's loop devices (`/dev/loop-control`), as the booted tier needs
/// root and `systemd-nspawn`; `make deps` installs `mkfs.ext4` and `fsfreeze`.
@Suite struct SpoolFrozenFileSystemTests {
    static let canFreeze =
        geteuid() == 0 && access("/dev/loop-control", R_OK | W_OK) == 0
        && ["/usr/sbin/mkfs.ext4", "/usr/sbin/fsfreeze", "/usr/bin/mount"].allSatisfy { (tool: String) in
            access(tool, X_OK) == 0
        }

    @Test(.enabled(if: canFreeze), .timeLimit(.minutes(5)))
    func aFrozenSpoolKeepsNoThreadOfThePoolAndNoSlot() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-frozen")
        let (image, root) = (directory.path("spool.img"), directory.path("mnt"))
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.command("/usr/bin/truncate", "-s", "32M", image)
        try Self.command("/usr/sbin/mkfs.ext4", "-q", image)
        try Self.command("/usr/bin/mount", "-o", "loop", image, root)
        defer {
            _ = try? ChildProcess.runBlocking("/usr/sbin/fsfreeze", ["-u", root])
            // (Lazily, should the mount still be busy: never left behind in /tmp.)
            _ = try? ChildProcess.runBlocking("/usr/bin/umount", ["-l", root])
            withExtendedLifetime(directory) {}  // (deleted only once unmounted)
        }
        let recorder = LogRecorder()
        let spool = try Spool(directory: root, delegateName: "d", logger: recorder.logger())
        try spool.prepare()
        // More tasks than the pool has threads, and as many slots.
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        for index in 0..<count {
            try SpoolProducer(directory: root).enqueue(id: "t-\(index)", data: Data(#"{"id":"t-\#(index)"}"#.utf8))
        }
        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDFROZEN")
        dispatcher.apply(concurrency: count)
        var intake = SpoolIntake(
            spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        intake.slotGivenBackAfter = .milliseconds(400)

        try Self.command("/usr/sbin/fsfreeze", "-f", root)
        // Thawed from a thread of Dispatch's, not the pool's, whatever happens: a test that
        // failed must not leave the file system frozen, nor itself waiting on the pool for good.
        let thawed = Flag()
        let thaw: @Sendable () -> Void = {
            guard !thawed.value.exchange(true, ordering: .acquiringAndReleasing) else { return }
            _ = try? ChildProcess.runBlocking("/usr/sbin/fsfreeze", ["-u", root])
        }
        // (Generous: the whole suite runs beside it, on a host maybe many times slower than this one.)
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: thaw)

        let watcher = try spool.watch(rescanInterval: .seconds(3600))
        let watching = Task { await watcher.run() }
        let running = Task { [intake] in await intake.run(watcher: watcher, recovered: []) }
        let watchingCalls = Task { [intake] in await intake.watchFileCalls() }
        // The claims hang in the kernel; their slots are given back, and another intake's task gets one.
        let told = await eventually(within: .seconds(90)) {
            recorder.records.contains { $0.contains("has not returned after") && $0.contains("slot is given back") }
        }
        let got = await dispatcher.reserveSlot()
        let gotWhileFrozen = got && !thawed.value.load(ordering: .acquiring)
        #expect(told, "no claim was told hanging: \(recorder.records.suffix(5))")
        #expect(gotWhileFrozen, "no slot for another intake's task while the spool was frozen")
        #expect(
            (try? FileManager.default.contentsOfDirectory(atPath: directory.path("mnt/done")))?.isEmpty == true,
            "a result was written to a frozen file system")
        if got { dispatcher.releaseSlots() }

        thaw()
        let answered = await eventually(within: .seconds(60)) {
            (0..<count).allSatisfy { FileManager.default.fileExists(atPath: directory.path("mnt/done/t-\($0).json")) }
        }
        #expect(answered, "\((try? FileManager.default.contentsOfDirectory(atPath: directory.path("mnt/done"))) ?? [])")
        #expect(await eventually { dispatcher.slotsInUse() == 0 }, "\(dispatcher.slotsInUse()) slots in use")
        watcher.stop()
        await running.value
        await watching.value
        watchingCalls.cancel()
        await watchingCalls.value
    }

    /// Runs a command to its end, which must succeed (root and a loop device are what the test needs).
    static func command(_ executable: String, _ arguments: String...) throws {
        let outcome = try ChildProcess.runBlocking(executable, arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        guard outcome.termination == .exited(0) else {
            throw ChildProcessError("\(executable) \(arguments): \(outcome.termination): \(outcome.errorOutput)")
        }
    }

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }
}
