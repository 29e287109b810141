import Foundation
import Glibc
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// `submit --spool --wait` past its timeout says where the task is: queued in `new/`, or running
/// (claimed by a delegate), where submitting it again would be refused as running.
@Suite struct SpoolSubmitWaitTests {
    @Test func aTimeoutSaysTheTaskRunsWhenADelegateClaimedIt() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-wait")
        let spool = directory.path("spool")
        for sub in ["/tmp", "/new", "/cur/d-1", "/done"] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
        }
        let task = Data(#"{"id":"t-1","connector":"c","operation":"getRandomPassword","params":{}}"#.utf8)
        // A delegate that claims the task and never answers. (On a thread of its own: the
        // cooperative pool, which the whole suite's load can stall for seconds, could hold it past
        // the wait; the claim must come within it.)
        async let claimed = offPool { () -> Bool in
            let queued = spool + "/new/t-1.json"
            for _ in 0..<3000 where !FileManager.default.fileExists(atPath: queued) { usleep(10_000) }
            return rename(queued, spool + "/cur/d-1/t-1.json") == 0
        }
        let outcome = await TaskSubmitter(destination: .spool(spool), wait: true, timeout: .seconds(10)).submit(task)
        #expect(try await claimed, "the stand-in delegate claimed the task")
        #expect(outcome.status == 69, "\(outcome)")
        #expect(
            outcome.errorOutput.hasSuffix("the task is running (claimed by delegate d-1)"), "\(outcome.errorOutput)")

        // Never claimed, it stays queued.
        let other = Data(#"{"id":"t-2","connector":"c","operation":"getRandomPassword","params":{}}"#.utf8)
        let queued = await TaskSubmitter(destination: .spool(spool), wait: true, timeout: .seconds(1)).submit(other)
        #expect(queued.errorOutput.hasSuffix("the task stays queued"), "\(queued.errorOutput)")
    }

    /// A task queued whose `new/` could not be synced will run: `submit` says where it is and
    /// warns that a crash of the host may lose it, exit 0 (submitting it again would be refused
    /// as queued).
    @Test func aTaskQueuedButNotDurableIsSubmittedWithAWarning() async throws {
        let directory = try TemporaryDirectory(prefix: "spool-not-durable")
        let spool = directory.path("spool")
        for sub in ["/tmp", "/new", "/done"] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
        }
        var submitter = TaskSubmitter(destination: .spool(spool), wait: false, timeout: .seconds(1))
        submitter.makeProducer = { directory in
            var producer = SpoolProducer(directory: directory)
            producer.directorySync = { path throws(TaskQueueError) in
                throw TaskQueueError(code: .io, message: "fsync failed (the test)", path: path, errno: EIO)
            }
            return producer
        }
        let task = Data(#"{"id":"t-3","connector":"c","operation":"getRandomPassword","params":{}}"#.utf8)
        let outcome = await submitter.submit(task)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.output == "queued \(spool)/new/t-3.json", "\(outcome)")
        #expect(
            outcome.errorOutput.contains("warning: QueuedNotDurable: queued \(spool)/new/t-3.json, but syncing"),
            "\(outcome.errorOutput)")
        #expect(FileManager.default.fileExists(atPath: spool + "/new/t-3.json"))
    }

    /// A task whose id is there but no string is refused before it is queued (every delegate would
    /// reject it), on every way of sending it; one without an id (or with a null one, which is
    /// none) is queued under a name of submit's.
    @Test(arguments: [#"{"id":42,"operation":"getRandomPassword"}"#, #"{"id":["a"],"operation":"getRandomPassword"}"#])
    func aTaskWhoseIDIsNoStringIsRefusedBeforeSending(task: String) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-id-type")
        let spool = directory.path("spool")
        for sub in ["/new", "/tmp", "/cur", "/done"] {
            try FileManager.default.createDirectory(atPath: spool + sub, withIntermediateDirectories: true)
        }
        let outcome = await TaskSubmitter(destination: .spool(spool), wait: false, timeout: .seconds(1))
            .submit(Data(task.utf8))
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.errorOutput.contains("the task's id is not a string"), "\(outcome.errorOutput)")
        let socket = await TaskSubmitter(destination: .socket(directory.path("no.sock")), wait: false, timeout: .seconds(1))
            .submit(Data(task.utf8))
        #expect(socket.status == 64 && socket.errorOutput.contains("is not a string"), "\(socket)")
        for untitled in [#"{"operation":"getRandomPassword"}"#, #"{"id":null,"operation":"getRandomPassword"}"#] {
            let queued = await TaskSubmitter(destination: .spool(spool), wait: false, timeout: .seconds(1))
                .submit(Data(untitled.utf8))
            #expect(queued.status == 0 && queued.output.contains("/new/submit-"), "\(queued)")
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: spool + "/new")).count == 2, "the refused one queued")
    }

    /// A task that is no JSON object says which way it is not, without quoting it.
    @Test(arguments: [
        ("", "the task is empty"), ("  \n", "the task is empty"), ("\u{FF}", "not UTF-8 text"),
        (#"{"id":"a""#, "not valid JSON"), ("[1]", "JSON but not an object"),
    ])
    func aTaskThatIsNoJSONObjectSaysWhy(task: String, reason: String) async throws {
        let directory = try TemporaryDirectory(prefix: "spool-bad-task")
        var bytes = Data(task.utf8)
        if task == "\u{FF}" { bytes = Data([0xFF, 0x7B]) }
        let outcome = await TaskSubmitter(
            destination: .spool(directory.path("spool")), wait: false, timeout: .seconds(1)
        )
        .submit(bytes)
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.errorOutput.contains(reason), "\(outcome.errorOutput)")
        let sealed = await TaskSubmitter(
            destination: .spool(directory.path("spool")), wait: true, timeout: .seconds(1), seal: true
        )
        .submit(bytes)
        #expect(sealed.status == 64 && sealed.errorOutput.contains(reason), "\(sealed.errorOutput)")
    }
}
