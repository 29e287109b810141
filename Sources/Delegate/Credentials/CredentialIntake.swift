import DelegateClient
import FoundationEssentials
import Logging
import Systemd
import TaskQueue

/// Answers the credentials socket (docs/INTERFACE.md section 11): a root peer whose address names
/// a unit and a credential id that a `[[credential]]` entry maps gets the secret's bytes; any other
/// peer (another root request, a peer of another user) gets the server's refusal (systemd then
/// fails the unit's start, where an EOF would start it with an empty credential); one journal line
/// says why (`UNIT`, `CREDENTIAL_ID`, `CONNECTOR_ID`, `ERROR_CODE`, `PEER_UID`, never the value).
///
/// The read is a `getSecretValue` task naming the entry's connector, admitted for the unit as its
/// principal (the connector's `allowed_units` and `operations` apply) and run through the
/// dispatcher like a socket or spool task: a slot (one of the credentials socket's own, which
/// tasks do not take), the task deadline (which counts the wait for the slot), the executor. Delegate selectors are not consulted: the request comes from
/// this host's own service manager.
struct CredentialIntake: Sendable {
    /// Its connector catalog holds the `[[credential]]` entries in force with the connectors
    /// they name (a reload replaces both at once).
    let dispatcher: TaskDispatcher
    let logLimiter: LogRateLimiter
    let logger: Logger

    /// Why a read the server gave up on (``CredentialRequestTimeout``) got no value: its
    /// refusal's message, and its result's (``IntakeDeadline``).
    static let timedOut = "not answered within the credentials socket's time limit (the read outlived its deadline)"

    /// Why a request got no value.
    struct Refusal: Error {
        var code: TaskFailure.Code
        var message: String
        var connectorID: String?
    }

    /// The unit and credential id a request's address names, for every line about it (the
    /// server's own too: an answer cut short, a request not answered in time).
    static func describe(_ request: CredentialSocketServer.Request) -> Logger.Metadata {
        describe(try? CredentialRequestAddress.parse(request.sunPath))
    }

    private static func describe(_ address: CredentialRequestAddress?) -> Logger.Metadata {
        guard let address else { return [:] }
        return ["unit": "\(address.unit)", "credential_id": "\(address.id)"]
    }

    func handle(_ request: CredentialSocketServer.Request) async -> CredentialSocketServer.Answer {
        var logger = logger
        logger[metadataKey: "peer_uid"] = "\(request.peer.uid)"
        let parsed = Result { () throws(CredentialRequestAddress.Problem) in
            try CredentialRequestAddress.parse(request.sunPath)
        }
        for (key, value) in Self.describe(try? parsed.get()) { logger[metadataKey: key] = value }
        do throws(Refusal) {
            let (value, connectorID) = try await serve(request, address: parsed, logger: logger)
            dispatcher.status.credentialRequest(served: true)
            logger.info(
                "credential served",
                metadata: ["event": "\(LogEventKind.credentialServed)", "connector_id": "\(connectorID)"])
            return .value(value)
        } catch {
            dispatcher.status.credentialRequest(served: false)
            var metadata: Logger.Metadata = [
                "event": "\(LogEventKind.credentialRefused)", "error_code": "\(error.code)",
            ]
            if let connectorID = error.connectorID { metadata["connector_id"] = "\(connectorID)" }
            // Per code and unit: several units refused at once (a boot) each get their line,
            // which their operators are pointed to. Only for the service manager (root): another
            // peer names any unit it likes, and would get a window per name.
            let unit = request.peer.uid == 0 ? (try? parsed.get())?.unit ?? "-" : "-"
            logLimiter.warning(
                "credential request refused: \(error.message)", metadata: metadata,
                key: "credential-refused-\(error.code) \(unit)", logger: logger)
            return .refuse
        }
    }

    /// The value's bytes and the connector that read them, or why there are none.
    private func serve(
        _ request: CredentialSocketServer.Request,
        address parsed: Result<CredentialRequestAddress, CredentialRequestAddress.Problem>, logger: Logger
    ) async throws(Refusal) -> (value: Data, connectorID: String) {
        let address: CredentialRequestAddress
        switch parsed {
        case .success(let parsed): address = parsed
        case .failure(let problem):
            // This may be a service manager with an address this parser does not take (a
            // credential id no entry could map, a future systemd's format): fail its unit closed
            // rather than let an EOF start it with an empty credential.
            throw Refusal(
                code: .malformedAddress, message: "\(problem) (uid \(request.peer.uid) pid \(request.peer.pid))")
        }
        // Another user's service manager (`systemd --user`, where an operator opened the socket
        // to it) is refused like any other request, so its unit fails rather than start empty.
        guard request.peer.uid == 0 else {
            throw Refusal(
                code: .peerNotRoot,
                message: "only the service manager (uid 0) may ask; uid \(request.peer.uid) pid \(request.peer.pid) "
                    + "claimed unit \(address.unit)")
        }
        let receivedAt = dispatcher.now
        let generation = dispatcher.connectors.generation
        let task: DelegateTask
        do throws(Refusal) {
            task = try admit(address, helperUID: request.peer.uid)
        } catch {
            _ = counted(error, taskID: nil, receivedAt: receivedAt)
            throw error
        }
        // A reload while the read waits for a slot: its entry and connector as they are now.
        let readmission = TaskDispatcher.Readmission(generation: generation) {
            do throws(Refusal) {
                return .run(try admit(address, helperUID: request.peer.uid))
            } catch {
                return .answered(counted(error, taskID: task.id, receivedAt: receivedAt))
            }
        }
        // Cancelled by the server's timer or by a stop: the read's own result says which.
        let timeout = request.timeout
        let result = await IntakeDeadline.$current.withValue(
            IntakeDeadline(message: Self.timedOut) { timeout.hasPassed }
        ) {
            await dispatcher.execute(
                task, receivedAt: receivedAt, logger: logger, readmit: readmission, slots: .credentials)
        }
        // The connector the read ran under (or was refused by): a readmission's, if a reload
        // moved the entry.
        let connectorID = result.connectorId
        // The server gave up on the request (not answered in its time) and refused it already:
        // whatever the read became, this is why, not a stop (`DelegateStopping`, which its
        // cancellation reads as) nor a value served.
        if request.timeout.hasPassed {
            throw Refusal(code: .deadlineExceeded, message: Self.timedOut, connectorID: connectorID)
        }
        guard result.status == .succeeded else {
            throw Refusal(
                code: result.error?.code ?? TaskFailure.Code(rawValue: result.status.rawValue),
                message: result.error?.message ?? "the read \(result.status.rawValue)", connectorID: connectorID)
        }
        do {
            return (try result.secretBytes(), connectorID ?? task.connector.id)
        } catch {
            throw Refusal(code: .noValue, message: error.message, connectorID: connectorID)
        }
    }

    /// A refused admission (at the request, or again after a reload), counted as a socket task's
    /// refusal is (`counts.rejected`, its connector's count); not logged here: the refusal's own
    /// line says why.
    private func counted(_ refusal: Refusal, taskID: String?, receivedAt: Date) -> TaskResult {
        dispatcher.counted(
            TaskRejection(
                code: refusal.code, message: refusal.message, taskID: taskID, connectorID: refusal.connectorID,
                connectorIsNamed: true),
            receivedAt: receivedAt)
    }

    /// The read of the entry that maps `address`, admitted for the unit under the connectors in
    /// force.
    private func admit(_ address: CredentialRequestAddress, helperUID: UInt32) throws(Refusal) -> DelegateTask {
        // Only a `*` entry could match it (an exact one is refused at load over this), and systemd
        // sends such a request only when its random number is short (one start in sixteen, or
        // fewer): refused every time, so the unit's start does not depend on chance.
        let addressBytes = address.unit.utf8.count + address.id.utf8.count
        guard addressBytes <= CredentialMapping.maxUnitAndIDBytes else {
            throw Refusal(
                code: .noMapping,
                message: "unit \(address.unit) credential \(address.id): the unit name and id together are "
                    + "\(addressBytes) bytes; systemd's request address holds \(CredentialMapping.maxUnitAndIDBytes) "
                    + "(it could bind this one only with a short random number), so no entry serves it")
        }
        let admission = dispatcher.connectors.admitCredential(unit: address.unit, id: address.id, helperUID: helperUID)
        {
            Data(
                SecretFetcher.task(
                    id: TaskID.random(prefix: "credential-"), connector: $0.connector, name: $0.secret,
                    version: $0.version))
        }
        switch admission {
        case .noMapping:
            throw Refusal(
                code: .noMapping, message: "no [[credential]] entry maps unit \(address.unit) credential \(address.id)")
        case .refused(let refused, let error):
            throw Refusal(code: error.code, message: error.message, connectorID: refused.connector)
        case .admitted(_, let admittedTask):
            return admittedTask
        }
    }
}
