import Foundation
import Glibc
import Logging
import TestSupport
import Testing

@testable import TaskQueue

/// A prepared spool in `dir` logging into `recorder`, and its rate limiter, whose window outlasts
/// any test run: what a test counts does not depend on the machine's pace.
func recordedSpool(in dir: TestDirectory, recorder: LogRecorder) throws -> (Spool, LogRateLimiter) {
    let limiter = LogRateLimiter(interval: .seconds(3600))
    let spool = try Spool(directory: dir.path, delegateName: "d", logger: recorder.logger(), logLimiter: limiter)
    try spool.prepare()
    return (spool, limiter)
}

/// A fresh directory under /tmp for one test (short, so socket paths fit), removed by `remove()`.
struct TestDirectory {
    let path: String

    private init(path: String) {
        self.path = path
    }

    /// A directory `name` in this one (made 0755), as a test directory of its own (removed with
    /// this one).
    func subdirectory(_ name: String) throws -> TestDirectory {
        try FileManager.default.createDirectory(
            atPath: file(name), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        return TestDirectory(path: file(name))
    }

    init() throws {
        var template = Array("/tmp/tq-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        let created = try #require(made.map { String(cString: $0) })
        // Traversable by other users, so tests can connect as `nobody`.
        chmod(created, 0o755)
        path = created
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

let quietLogger = Logger(label: "TaskQueueTests", factory: { _ in SwiftLogNoOpLogHandler() })

func mode(of path: String) throws -> mode_t {
    let info = try #require(try FileIO.lstat(path))
    return info.st_mode & 0o7777
}

/// The entries of a directory; of a claims directory (`.../cur/<name>`), but the delegate's lock
/// file (`.lock`), which is there while it runs.
func names(in directory: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return (directory.contains("/cur/") ? names.filter { $0 != ".lock" } : names).sorted()
}

func writeFile(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// The next name the watcher yields, or nil if none within `timeout`.
func nextName(_ watcher: SpoolWatcher, within timeout: Duration) async -> String? {
    await withTaskGroup(of: String?.self) { group in
        group.addTask {
            var iterator = watcher.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

extension SocketClient {
    /// ``readLine(timeout:)`` without blocking a cooperative thread.
    func nextLine(timeout: Duration) async throws -> Data? {
        nonisolated(unsafe) let client = self
        return try await offPool { try client.readLine(timeout: timeout) }
    }

    /// ``send(_:)`` for each line, in order, without blocking a cooperative thread: a send
    /// waits while the server reads nothing, and the server's readers may need that thread.
    func sendOffPool(_ lines: [Data]) async throws {
        nonisolated(unsafe) let client = self
        try await offPool { for line in lines { try client.send(line) } }
    }
}
