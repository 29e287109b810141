import AWSCore
import AWSCredentials
import FoundationEssentials
import JSON
import Logging
import Sealing
import SecretsManager

/// Runs one validated task against Secrets Manager and produces its result.
///
/// The executor never throws: every failure becomes a `failed` or `rejected` result with a code
/// and a message that is safe to show (no secret values, keys or tokens).
public struct TaskExecutor: Sendable {
    public let delegateName: String
    private let clients: AWSClientPool
    private let credentials: CredentialProviderRegistry
    private let clock: any WallClock
    /// The named connectors' read cache (section 14); nil: nothing is cached.
    let cache: SecretCache?
    /// One timer for the deadlines of all the tasks this executor runs.
    let deadlines = DeadlineWatch()

    public init(
        delegateName: String, clients: AWSClientPool, credentials: CredentialProviderRegistry, clock: any WallClock,
        cache: SecretCache? = nil
    ) {
        self.delegateName = delegateName
        self.clients = clients
        self.credentials = credentials
        self.clock = clock
        self.cache = cache
    }

    /// Runs `task` within its deadline, which counts from `receivedAt`: the time it `waited` since
    /// then (for a free slot; measured by the caller) counts, and a task whose deadline passed
    /// while it waited is answered `DeadlineExceeded` without any AWS call. `finishing` makes the result what its intake will
    /// hand over (SQS: withheld, or too large for a message), before it is logged and counted, so
    /// that the journal and the counters say what the producer gets.
    public func run(
        _ task: DelegateTask, receivedAt: Date, waited: Duration, logger baseLogger: Logger,
        finishing: ((TaskResult) -> TaskResult)? = nil
    ) async -> TaskResult {
        let logger = Self.logger(for: task, base: baseLogger)
        let started = ContinuousClock.now
        let outcome: Result<OperationOutcome, AWSError>
        do throws(AWSError) {
            let remaining = .seconds(task.deadlineSeconds) - waited
            guard remaining > .zero else {
                throw Deadline.passedWhileWaiting(seconds: task.deadlineSeconds, waited: waited)
            }
            let (client, principal) = try makeClient(for: task.connector)
            let cache = self.cache
            outcome = .success(
                try await Deadline.run(
                    seconds: task.deadlineSeconds, waited: waited, remaining: remaining, watch: deadlines
                ) {
                    () async throws(AWSError) -> OperationOutcome in
                    try await OperationRunner(
                        client: client, principal: principal, task: task, logger: logger, cache: cache
                    ).run()
                })
        } catch {
            outcome = .failure(error)
        }
        let elapsed = ContinuousClock.now - started
        let durationMS = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000

        var result = TaskResult(
            id: task.id, status: .succeeded, operation: task.operation.name.rawValue, connectorId: task.connector.id,
            delegate: delegateName, receivedAt: receivedAt, finishedAt: clock.now(), attempts: 0
        )
        switch outcome {
        case .success(let done):
            result.status = done.failure == nil ? .succeeded : .failed
            result.attempts = done.attempts
            result.result = done.value
            result.cached = done.cached
            result.stale = done.stale
            result.error = done.failure.map(TaskFailure.init)
        case .failure(let error):
            result.status = error.taskStatus
            result.attempts = error.attempts
            result.error = TaskFailure(error)
            if task.operation.name == .testConnection, error.whileObtainingCredentials {
                // As the test itself answers when STS or IMDS fail it: no check, nothing allowed.
                result.result = ConnectionTest.withoutCredentials(error)
            }
            let cutOff = error.attempts > 0 && [.deadlineExceeded, .cancelled].contains(error.code)
            if task.operation.writesSecret, cutOff || error.anAttemptMayHaveArrived {
                // Cut off while a request was on its way, or an attempt that may have reached AWS
                // (its answer lost or unreadable, a 5xx) was the last: AWS may have made the write.
                // A deletion has no token: a rerun finds the secret scheduled for deletion (forced:
                // AWS answers it as done, whether or not the secret is there).
                result.error?.message +=
                    task.operation.name == .deleteSecret
                    ? "; the deletion was under way and may have been made (running the task again then finds the "
                        + "secret scheduled for deletion, InvalidRequestException; with forceDeleteWithoutRecovery AWS "
                        + "answers a rerun as done even when the secret is gone already; describeSecret tells)"
                    : "; the write was under way and may have been made (running the task again is safe: its "
                        + "writes carry the task's idempotency token)"
            }
        }
        if let key = task.sealTo { result = Self.seal(result, to: key, logger: logger) }
        if let finishing { result = finishing(result) }
        log(result, durationMS: durationMS, logger: logger)
        return result
    }

    /// `result` with its `result` sealed to `key` (by `sealing`: a test's may fail); if that fails,
    /// the result is withheld and the task reported as failed (`SealingFailed`), never written in the clear.
    static func seal(
        _ result: TaskResult, to key: SealingKey, logger: Logger,
        sealing: (TaskResult, SealingKey) throws(HPKEError) -> TaskResult = { result, key throws(HPKEError) in
            try result.sealed(to: key)
        }
    ) -> TaskResult {
        do {
            return try sealing(result, key)
        } catch {
            logger.error(
                "the result cannot be sealed: \(error)",
                metadata: ["event": "task-sealing-failed", "error_code": "\(TaskFailure.Code.sealingFailed)"])
            return result.withheld(
                TaskFailure(
                    code: .sealingFailed,
                    message:
                        "the operation ran but its result could not be sealed to sealTo (\(error.code)); it is withheld",
                    retryable: false))
        }
    }

    /// A client for `connector`'s calls, and who signs them.
    private func makeClient(
        for connector: Connector
    ) throws(AWSError) -> (SecretsManagerClient, ResolvedCredentials.Principal) {
        // An inline connector of another region than a regional endpoint override serves (a
        // named one, drop-ins included, is refused with the configuration).
        if let problem = clients.secretsManagerRegionProblem(region: connector.region) {
            throw AWSError.validation(.invalidTask, problem)
        }
        let resolved: ResolvedCredentials
        do {
            resolved = try credentials.resolve(connector.credentials, region: connector.region)
        } catch {
            // Credentials that could not be had here (a ref missing or refused), as an STS or
            // IMDS failure is marked by the client: nothing reached Secrets Manager.
            var error = error
            error.whileObtainingCredentials = true
            throw error
        }
        let client = SecretsManagerClient(
            aws: clients.secretsManager(region: connector.region),
            credentials: resolved.provider,
            namePrefix: connector.secretNamePrefix
        )
        return (client, resolved.principal)
    }

    /// `base` with `task`'s fields, for every record of the task.
    private static func logger(for task: DelegateTask, base: Logger) -> Logger {
        var logger = base
        // The task's fields go into the handler's metadata in one write, into a dictionary made
        // big enough once (key-by-key writes copied and grew it).
        var metadata = logger.handler.metadata
        metadata.reserveCapacity(metadata.count + 6)
        metadata["task_id"] = .string(task.id)
        metadata["connector_id"] = .string(task.connector.id)
        metadata["connector_kind"] = .string(task.connectorKind.rawValue)
        metadata["operation"] = .string(task.operation.name.rawValue)
        metadata["credential_source"] = .string(task.connector.credentials.sourceName)
        if let secret = task.operation.secret { metadata["secret_name"] = .string(secret.fullName) }
        logger.handler.metadata = metadata
        return logger
    }

    /// Logs the result of a task answered without running (no slot came before its deadline or
    /// the stop) as a task that ran is logged: `task-failed`, with the task's fields.
    func logNotStarted(_ result: TaskResult, of task: DelegateTask, logger: Logger) {
        log(result, durationMS: 0, logger: Self.logger(for: task, base: logger))
    }

    private func log(_ result: TaskResult, durationMS: Int64, logger: Logger) {
        let (event, level, message): (Logger.MetadataValue, Logger.Level, Logger.Message) =
            switch result.status {
            case .succeeded: ("task-succeeded", .info, "task succeeded")
            case .failed: ("task-failed", .warning, "task failed: \(result.error?.message ?? "")")
            case .rejected: ("task-rejected", .warning, "task rejected: \(result.error?.message ?? "")")
            }
        // One literal for a success's three keys: "event", added after a literal of two, made
        // every record's dictionary grow (a failure's error keys still may).
        var metadata: Logger.Metadata = [
            "event": event, "duration_ms": .string(String(durationMS)), "attempts": .string(String(result.attempts)),
        ]
        if let error = result.error {
            metadata["error_code"] = "\(error.code)"
            if let requestId = error.awsRequestId { metadata["aws_request_id"] = "\(requestId)" }
        }
        logger.log(level: level, message, metadata: metadata)
    }
}

/// What an operation produced: its result object, the attempts it took and, for operations that
/// report a failure alongside a result (testConnection), the failure.
struct OperationOutcome: Sendable {
    var value: JSONValue
    var attempts: Int
    var failure: AWSError? = nil
    /// Answered from the read cache (and, with `stale`, past its TTL): section 14.
    var cached = false
    var stale = false
}
