import Foundation
import Glibc
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A task found claimed after a crash whose result is already in `done/`: that result may be its
/// own, renamed in before its name was made durable, so `done/` is synced before the task file goes.
@Suite struct SpoolRecoveredResultTests {
    @Test func doneIsSyncedBeforeTheRecoveredTaskFileGoes() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-recovered")
        let root = directory.url.path
        let taskPath = directory.path("cur/d/t-1.json")
        // Whether the task file was still there at each fsync of done/.
        let syncs = Mutex<[Bool]>([])
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let spool = try Spool(
            directory: root, delegateName: "d", logger: quiet,
            doneFsync: { _ throws(TaskQueueError) in syncs.withLock { $0.append(access(taskPath, F_OK) == 0) } })
        try spool.prepare()
        let task = #"{"id":"t-1","connector":{"id":"c","region":"us-east-1","credentials":{"type":"instanceRole"}},"operation":"getRandomPassword"}"#
        try SpoolProducer(directory: root).enqueue(id: "t-1", data: Data(task.utf8))
        _ = try #require(try spool.claim("t-1.json"))
        // The crash: the result was renamed into done/, its name not synced, the task file kept.
        try Data(#"{"id":"t-1","status":"succeeded"}"#.utf8).write(to: URL(fileURLWithPath: directory.path("done/t-1.json")))
        let recovered = try spool.recoverClaimed()
        try #require(recovered.count == 1 && recovered[0].recovered)

        let dispatcher = ScriptedExecutorFixture.spoolDispatcher(delegateName: "d", accessKeyID: "AKIDRECOVERED")
        let intake = SpoolIntake(spool: spool, dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: quiet)
        await intake.runClaimed(recovered[0], receivedAt: Date())

        #expect(syncs.withLock { $0 } == [true], "one sync of done/, while the task file was still there")
        #expect(access(taskPath, F_OK) != 0, "the task file went")
        #expect(FileManager.default.fileExists(atPath: directory.path("done/t-1.json")), "the result stays")
    }
}
