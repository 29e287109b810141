import Foundation
import Glibc
import Synchronization
import Testing

@testable import TaskQueue

/// Each file the spool makes is synced before it is named: a result before its rename into
/// `done/` (and before its task file goes), a producer's task before its rename into `new/`; a
/// failed fsync is a failure, with nothing left under the final name.
@Suite struct SpoolFileSyncTests {
    /// The paths an fsync was asked for.
    final class Asked: Sendable {
        let paths = Mutex<[String]>([])
    }

    static func failingSync(_ asked: Asked) -> Spool.FileSync {
        { _, path throws(TaskQueueError) in
            asked.paths.withLock { $0.append(path) }
            throw .system("fsync", path: path, errno: EIO)
        }
    }

    @Test func aResultWhoseFsyncFailsIsNotPlacedAndItsTaskStays() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let asked = Asked()
        let spool = try Spool(
            directory: dir.path, delegateName: "d1", logger: quietLogger, resultFsync: Self.failingSync(asked))
        try spool.prepare()
        try writeFile(dir.file("new/r1.json"), "task")
        let claimed = try #require(try spool.claim("r1.json"))
        await #expect(throws: TaskQueueError.self) {
            try await spool.complete(claimed, resultID: "r1", result: Data("the result".utf8))
        }
        // Beside the claims first, then in done/ itself: each a temporary name, never the result's.
        let paths = asked.paths.withLock { $0 }
        #expect(!paths.isEmpty, "the result file was synced")
        #expect(paths.allSatisfy { $0.hasSuffix(".tmp") && $0.contains("/.r1.") }, "\(paths)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("done/r1.json")))
        #expect(FileManager.default.fileExists(atPath: dir.file("cur/d1/r1.json")), "the task is kept to run again")
        let left =
            try FileManager.default.contentsOfDirectory(atPath: dir.file("done"))
            + FileManager.default.contentsOfDirectory(atPath: dir.file("cur/d1"))
        #expect(left == ["r1.json"], "no temporary file left behind: \(left)")
    }

    @Test func aTaskWhoseFsyncFailsIsNotQueued() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger).prepare()
        let asked = Asked()
        var producer = SpoolProducer(directory: dir.path)
        producer.fileSync = Self.failingSync(asked)
        let error = #expect(throws: TaskQueueError.self) {
            try producer.enqueue(id: "q1", data: Data("{}".utf8))
        }
        #expect(error?.errno == EIO && error?.code != .queuedNotDurable, "\(String(describing: error))")
        #expect(asked.paths.withLock { $0.count } == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("new")).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("tmp")).isEmpty)
    }

    /// The task is in `new/` and will run; the error says so, with its path, so that `submit`
    /// warns rather than fails (a second submit would find it queued).
    @Test func aTaskWhoseDirectorySyncFailsIsQueuedButNotDurable() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        try Spool(directory: dir.path, delegateName: "d1", logger: quietLogger).prepare()
        var producer = SpoolProducer(directory: dir.path)
        producer.directorySync = { path throws(TaskQueueError) in throw .system("fsync", path: path, errno: EIO) }
        let error = #expect(throws: TaskQueueError.self) {
            try producer.enqueue(id: "q2", data: Data("{}".utf8))
        }
        #expect(error?.code == .queuedNotDurable, "\(String(describing: error))")
        #expect(error?.path == dir.file("new/q2.json"))
        #expect(FileManager.default.fileExists(atPath: dir.file("new/q2.json")))
    }
}
