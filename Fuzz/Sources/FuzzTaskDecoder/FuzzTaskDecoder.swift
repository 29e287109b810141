import FuzzSupport
import Delegate
import Foundation
import JSON
import TaskQueue

/// Two configured connectors: one anyone may use, one only root and a queue may use, read-only
/// and sealed, so a task naming either goes through resolution and the policy's refusals.
private let catalog: ConnectorCatalog = {
    func named(_ id: String, _ policy: ConnectorPolicy) -> NamedConnector {
        NamedConnector(
            connector: Connector(
                id: id, region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: ["prod"],
                credentials: .instanceRole),
            policy: policy, origin: "[connectors.\(id)]")
    }
    return ConnectorCatalog(connectors: [
        "open": named("open", ConnectorPolicy()),
        "guarded": named(
            "guarded",
            ConnectorPolicy(
                operations: [.getSecretValue, .describeSecret],
                allowedQueues: ["https://sqs.us-east-1.amazonaws.com/123456789012/tasks"],
                requireSealedResults: true, cacheTTLSeconds: 60)),
    ])
}()

private let principals: [TaskPrincipal] = [
    .spoolFile(ownerUID: 1000), .systemdUnit("app.service", helperUID: 0),
    .sqsQueue("https://sqs.us-east-1.amazonaws.com/123456789012/tasks"),
    .socketPeer(PeerCredentials(pid: 1, uid: 1000, gid: 1000)),
]

/// A task, spool-style (with a default id) and socket-style (none), inline or naming a
/// configured connector, through the admission the intakes use: any bytes give a task or a
/// rejection, never a crash. The intakes' peek (``TaskDocument/envelope``) must agree with the
/// decoder on every task it takes: the same id, and an inline connector's selectors. The
/// guarded connector's policy holds whatever the bytes: only its queue, only its operations,
/// only sealed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTaskDecoder(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    // Where a refusal says the task stops being JSON: found exactly when the parse fails, and
    // inside the task.
    data.withUnsafeBytes { bytes in
        guard JSONParser.isValidUTF8(bytes) else { return }
        let stop = JSONParser.stop(in: bytes)
        precondition((stop == nil) == (JSONParser.parse(validatingUTF8: bytes) != nil), "stop and parse disagree")
        if let stop { precondition(stop.offset <= bytes.count && stop.line >= 1 && stop.column >= 1) }
    }
    let document = TaskDocument(data)
    let envelope = document.envelope
    for defaultID in ["spool-file-name", nil] as [String?] {
        guard let task = try? DelegateTask.decode(document, defaultID: defaultID) else { continue }
        precondition(envelope != nil, "the decoder took a task the peek could not read")
        precondition(envelope?.id == nil ? task.id == defaultID : envelope?.id == task.id)
        precondition(envelope?.connectorName == nil && envelope?.delegateSelectors == task.connector.delegateSelectors)
    }
    for principal in principals {
        guard let task = try? catalog.admit(document, defaultID: nil, by: principal) else { continue }
        precondition(envelope?.id == task.id)
        if let name = envelope?.connectorName {
            precondition(task.namedConnectorID == name && task.connector.delegateSelectors == ["prod"])
        }
        if task.namedConnectorID == "guarded" {
            precondition(principal.intake == .queue, "the guarded connector admitted \(principal)")
            precondition([.getSecretValue, .describeSecret].contains(task.operation.name), "an operation it does not allow")
            precondition(task.sealTo != nil, "an unsealed task on a connector that requires sealing")
        }
    }
    return 0
}

@_cdecl("FuzzTaskDecoder_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzTaskDecoder)
}
