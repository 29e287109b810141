import Foundation
import Glibc

/// A Unix socket that plays the delegate for the command line's socket clients: for each line
/// read, it writes back the line `answer` returns for the task (the task's id filled in).
public final class FakeDelegateSocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var tasksSeen: [[String: Any]] = []

    /// The tasks received so far, decoded.
    public var tasks: [[String: Any]] { lock.withLock { tasksSeen } }

    public convenience init(path: String, answer: @escaping @Sendable (_ task: [String: Any]) -> String) throws {
        try self.init(path: path, answerWithPeer: { task, _ in answer(task) })
    }

    /// `answer` also gets the connected client's process id (`SO_PEERCRED`), read while the
    /// client waits for its result, so a test can look at the running client.
    public init(
        path: String, answerWithPeer answer: @escaping @Sendable (_ task: [String: Any], _ peer: pid_t) -> String
    ) throws {
        self.path = path
        fd = try UnixListener.listen(at: path, backlog: 8)
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                Thread.detachNewThread { [self] in serve(connection, answer: answer) }
            }
        }
    }

    private func serve(_ connection: Int32, answer: @Sendable ([String: Any], pid_t) -> String) {
        defer { Glibc.close(connection) }
        // struct ucred (pid, uid, gid), which Glibc's module does not import without _GNU_SOURCE.
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        let peer = getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 ? credentials.pid : 0
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &chunk, chunk.count)
            if count <= 0 { return }
            buffer += chunk[0..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                let task = (try? JSONSerialization.jsonObject(with: line) as? [String: Any]) ?? [:]
                lock.withLock { tasksSeen.append(task) }
                let reply = Array((answer(task, peer) + "\n").utf8)
                _ = reply.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            }
        }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        unlink(path)
    }

    /// A succeeded `getSecretValue` result line for `task` with `result` as its result.
    public static func succeeded(_ task: [String: Any], result: String) -> String {
        let id = task["id"] as? String ?? "?"
        return #"{"id":"\#(id)","status":"succeeded","operation":"getSecretValue","connectorId":"prod","#
            + #""delegate":"fake","receivedAt":"2026-11-21T12:00:00.000Z","finishedAt":"2026-11-21T12:00:00.042Z","#
            + #""attempts":1,"result":\#(result)}"#
    }

    /// A failed result line for `task`.
    public static func failed(_ task: [String: Any], code: String, message: String) -> String {
        let id = task["id"] as? String ?? "?"
        return #"{"id":"\#(id)","status":"failed","operation":"getSecretValue","connectorId":"prod","#
            + #""delegate":"fake","receivedAt":"2026-11-21T12:00:00.000Z","finishedAt":"2026-11-21T12:00:00.042Z","#
            + #""attempts":1,"error":{"code":"\#(code)","message":"\#(message)","retryable":false}}"#
    }
}
