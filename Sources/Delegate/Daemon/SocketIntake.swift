import Glibc
import FoundationEssentials
import JSON
import Logging
import TaskQueue

/// Serves the Unix socket: one task per line in, one result per line out as each finishes, and
/// `{"control":"status"}` answered with the status object. Warnings a peer can provoke at will
/// (invalid tasks, tasks for other delegates) go through the server's ``LogRateLimiter``.
struct SocketIntake: Sendable {
    let dispatcher: TaskDispatcher
    let statusReport: @Sendable () async -> JSONValue
    let logLimiter: LogRateLimiter
    let logger: Logger

    /// The reply to `line`: a task's result, or the answer to a control command.
    func handle(_ line: Data, connection: SocketConnection) async -> Data {
        let receivedAt = dispatcher.now
        if let control = Self.controlCommand(in: line) {
            switch control {
            case "status":
                return Data((await statusReport()).jsonText.utf8)
            default:
                return Data(
                    JSONValue.object([
                        "error": "UnknownControl",
                        "message": .string("unknown control command '\(control)'; known: status"),
                    ]).jsonText.utf8)
            }
        }
        let result: TaskResult
        var logger = logger
        logger[metadataKey: "peer_uid"] = .string(String(connection.peer.uid))  // on every record of the task
        let connectors = dispatcher.connectors
        switch Result(catching: { () throws(TaskRejection) in
            try connectors.admit(line, defaultID: nil, by: .socketPeer(connection.peer))
        }) {
        case .failure(let rejection):
            result = dispatcher.rejected(rejection, receivedAt: receivedAt, logger: logger, logLimiter: logLimiter)
        case .success(let task):
            let decision = dispatcher.matches(task.connector.delegateSelectors)
            if !decision.isAccepted {
                result = dispatcher.notSelected(
                    task, decision: decision, receivedAt: receivedAt, logLimiter: logLimiter, logger: logger)
            } else {
                logger.info(
                    "task received on the socket",
                    metadata: [
                        "event": "task-claimed", "task_id": .string(task.id), "connector_id": .string(task.connector.id),
                        "operation": .string(task.operation.name.rawValue),
                    ])
                result = await dispatcher.execute(task, receivedAt: receivedAt, logger: logger)
            }
        }
        return Data(result.jsonBytes)
    }

    /// `{"control": "<command>"}`, recognised cheaply before any task decoding. A line with an
    /// `operation` is a task whatever else it holds: it is answered as one, with its `id`. A line
    /// with a backslash is parsed too: its key may be spelled with escapes (`"\u0063ontrol"`).
    static func controlCommand(in line: Data) -> String? {
        guard line.count < 4096, mentionsControl(line) || line.contains(UInt8(ascii: "\\")),
            let parsed = line.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }), !parsed.hasDuplicateKeys,
            parsed.value["operation"] == nil
        else { return nil }
        return parsed.value["control"]?.stringValue
    }

    private static let controlKey = Array("\"control\"".utf8)

    /// Whether `"control"` occurs in the line: `memchr` to each quote, then `memcmp`, since every
    /// task line is checked.
    private static func mentionsControl(_ line: Data) -> Bool {
        line.withUnsafeBytes { haystack in
            controlKey.withUnsafeBytes { needle in
                guard let base = haystack.baseAddress, let key = needle.baseAddress, haystack.count >= needle.count
                else { return false }
                var offset = 0
                while offset + needle.count <= haystack.count {
                    guard let quote = memchr(base + offset, 0x22, haystack.count - needle.count - offset + 1) else {
                        return false
                    }
                    if memcmp(quote, key, needle.count) == 0 { return true }
                    offset = base.distance(to: UnsafeRawPointer(quote)) + 1
                }
                return false
            }
        }
    }
}
