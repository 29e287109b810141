import FoundationEssentials
import JSON
import Logging
import SafeText
import Systemd
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
    /// - Parameter stillAllowed: false once a reload's socket policy no longer allows `peer`: a
    ///   task it sent that has not started yet is refused (`NotAuthorized`), not run.
    func handle(_ line: Data, peer: PeerCredentials, stillAllowed: @escaping @Sendable () -> Bool = { true }) async -> Data {
        let receivedAt = dispatcher.now
        let document = TaskDocument(line)
        if let control = Self.controlCommand(in: document) {
            switch control {
            case "status":
                return Data((await statusReport()).jsonText.utf8)
            default:
                return Data(
                    JSONValue.object([
                        "error": "UnknownControl",
                        // Quoted as every message quotes a peer's value: cut, its controls shown.
                        "message": .string("unknown control command \(ShownText.quoted(control, mark: "'", limit: 64)); known: status"),
                    ]).jsonText.utf8)
            }
        }
        let result: TaskResult
        var logger = logger
        logger[metadataKey: "peer_uid"] = .string(String(peer.uid))  // on every record of the task
        let generation = dispatcher.connectors.generation
        switch admit(document, peer: peer, receivedAt: receivedAt, logger: logger) {
        case .answered(let answer):
            result = answer
        case .run(let task):
            logger.info(
                "task received on the socket",
                metadata: [
                    "event": "\(LogEventKind.taskClaimed)", "task_id": .string(task.id), "connector_id": .string(task.connector.id),
                    "connector_kind": .string(task.connectorKind.rawValue), "operation": .string(task.operation.name.rawValue),
                ])
            result = await dispatcher.execute(
                task, receivedAt: receivedAt, logger: logger,
                readmit: .init(generation: generation, revoked: { !stillAllowed() }) {
                    guard stillAllowed() else {
                        return .answered(
                            dispatcher.rejected(
                                TaskRejection(
                                    code: .notAuthorized,
                                    message: "this socket no longer accepts uid \(peer.uid) since a reload: it is not in "
                                        + "[queue] socket_allowed_users or socket_allowed_groups as they were resolved then "
                                        + "(a group that could not be looked up is left out until the next reload, warned "
                                        + "of then); the task was not run",
                                    task: task),
                                receivedAt: receivedAt, logger: logger, logLimiter: logLimiter, intake: .socket))
                    }
                    return admit(document, peer: peer, receivedAt: receivedAt, logger: logger)
                })
        }
        return Data(result.jsonBytes)
    }

    /// `document` admitted for `peer` under the connectors and tags in force.
    private func admit(_ document: TaskDocument, peer: PeerCredentials, receivedAt: Date, logger: Logger)
        -> TaskDispatcher.Admitted
    {
        let task: DelegateTask
        do throws(TaskRejection) {
            task = try dispatcher.connectors.admit(document, defaultID: nil, by: .socketPeer(peer))
        } catch {
            return .answered(
                dispatcher.rejected(error, receivedAt: receivedAt, logger: logger, logLimiter: logLimiter, intake: .socket))
        }
        let decision = dispatcher.matches(task.connector.delegateSelectors)
        guard decision.isAccepted else {
            return .answered(
                dispatcher.notSelected(
                    task, decision: decision, receivedAt: receivedAt, logLimiter: logLimiter, intake: .socket,
                    logger: logger))
        }
        return .run(task)
    }

    /// `{"control": "<command>"}`: a line under 4 KiB whose one parse (the one the task decoder
    /// reads next, so a task line is parsed once) is an object with a string `control` and no
    /// `operation`. A line with an `operation` is a task whatever else it holds: it is answered as
    /// one, with its `id`. Keys are compared unescaped (`"\u0063ontrol"` is `control`).
    static func controlCommand(in document: TaskDocument) -> String? {
        guard document.data.count < 4096, let parsed = document.parsed, !parsed.hasDuplicateKeys,
            parsed.value["operation"] == nil
        else { return nil }
        return parsed.value["control"]?.stringValue
    }
}
