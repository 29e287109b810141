import FoundationEssentials
import Glibc
import JSON
import SafeText
import Sealing
import TaskQueue
import DelegateClient
import AWSCore

/// `secrets-delegate submit`: hands one task to a delegate through its socket or its spool and,
/// with `wait`, prints the result and exits 0 if it succeeded, 1 if not.
///
/// With `seal`, the task gets a `sealTo` of a key pair made for this one submission and held
/// only in memory, and the result is printed opened (exit 1 and nothing on stdout if it does not
/// authenticate). Sealing needs `wait`: nobody else could open the result.
public struct TaskSubmitter: Sendable {
    public enum Destination: Sendable, Equatable {
        case socket(String)
        case spool(String)
        /// An SQS queue (docs/INTERFACE.md section 12).
        case sqs(SQSDestination)
    }

    public var destination: Destination
    public var wait: Bool
    public var timeout: Duration
    public var seal: Bool
    /// Makes `--seal`'s one-off key pair (tests make it fail).
    var makeKeyPair: @Sendable () throws -> HPKE.KeyPair = { try HPKE.generateKeyPair() }
    /// Opens a sealed result of `submit --sqs --seal --wait` (tests make the host's libcrypto fail).
    var openSealed: @Sendable (TaskResult, [UInt8]) throws(SealedResultError) -> TaskResult = Self.open

    /// `result` opened with `key` (``TaskResult/opened(privateKey:)``).
    static func open(_ result: TaskResult, _ key: [UInt8]) throws(SealedResultError) -> TaskResult {
        try result.opened(privateKey: key)
    }
    /// How long `--spool --wait` waits, once it has the result, for the delegate to drop its
    /// claim (the sync of `done/` before it; longer only when that sync fails, and the result is
    /// then printed all the same). Tests on a loaded machine give it longer.
    var claimReleaseLimit = Duration.seconds(2)
    /// Without `--wait`, how long an answer through the socket is looked for after sending (a
    /// refusal, a failure at once, a close); tests lengthen it.
    var answerWindow = SecretFetcher.refusalReadTime
    /// The spool's producer side, for a spool directory (tests make its fsyncs fail).
    var makeProducer: @Sendable (String) -> SpoolProducer = { SpoolProducer(directory: $0) }

    public init(destination: Destination, wait: Bool, timeout: Duration, seal: Bool = false) {
        self.destination = destination
        self.wait = wait
        self.timeout = timeout
        self.seal = seal
    }

    /// The configuration's destination when no flag names one: its socket, else its spool.
    public static func destination(configuration: DelegateConfiguration) -> Destination? {
        if !configuration.queue.socketPath.isEmpty { return .socket(configuration.queue.socketPath) }
        if !configuration.queue.spoolDir.isEmpty { return .spool(configuration.queue.spoolDir) }
        return nil
    }

    /// Where `submit` sends, from its options: `--socket` or `--spool` as given (the configuration
    /// is not read, as for `get --socket`); `--sqs` (and `--reply-queue`) with the configuration's
    /// identity and `[aws]`; else the configuration's socket, then its spool. Otherwise the
    /// outcome to exit with: 78 for a configuration that cannot be loaded, 64 for one with neither.
    public static func destination(
        socket: String?, spool: String?, sqs: String?, replyQueue: String?,
        configuration load: () throws(ConfigurationError) -> DelegateConfiguration, environment: [String: String]
    ) -> Result<Destination, RefusedDestination> {
        if let socket { return .success(.socket(socket)) }
        if let spool { return .success(.spool(spool)) }
        let configuration: DelegateConfiguration
        do {
            configuration = try load()
        } catch {
            return .failure(
                RefusedDestination(outcome: .failure("configuration error: \(error)", status: ExitStatus.configuration))
            )
        }
        if let sqs {
            return .success(
                .sqs(
                    .init(
                        queueURL: sqs, replyQueueURL: replyQueue, configuration: configuration, environment: environment
                    )))
        }
        guard let destination = destination(configuration: configuration) else {
            return .failure(
                RefusedDestination(
                    outcome: CommandOutcome(
                        errorOutput: "secrets-delegate: no --socket or --spool, and the configuration has neither",
                        status: ExitStatus.usage)))
        }
        return .success(destination)
    }

    /// Why `submit` has nowhere to send: the outcome to exit with.
    public struct RefusedDestination: Error, Sendable {
        public var outcome: CommandOutcome
    }

    public func submit(_ task: Data) async -> CommandOutcome {
        if case .sqs = destination, let refusal = Self.refusalForSQS(task) {
            return .failure(refusal, status: ExitStatus.usage)
        }
        var task = task
        var privateKey: [UInt8]?
        if seal {
            guard wait else { return .failure("--seal needs --wait", status: ExitStatus.usage) }
            // The host's failure (libcrypto), not the command line's: 69, as keygen's.
            let pair: HPKE.KeyPair
            do {
                pair = try makeKeyPair()
            } catch {
                return .failure("cannot generate a key pair: \(error)", status: ExitStatus.unavailable)
            }
            // Before the task is sent: a result sealed where it cannot be opened would leave a
            // task that ran (a write, maybe) with no readable answer.
            do {
                try HPKE.checkRoundTrip(pair)
            } catch {
                return .failure(
                    "this host cannot open sealed results: \(error.message)", status: ExitStatus.unavailable)
            }
            switch Self.addSealTo(task, pair: pair) {
            case .success(let sealed):
                task = sealed
                privateKey = pair.privateKey
            case .failure(let error):
                return .failure(error.message, status: ExitStatus.usage)
            }
        }
        guard task.count <= DelegateTask.maximumSize else {
            return .failure(
                "the task is \(task.count) bytes; at most \(DelegateTask.maximumSize) are allowed",
                status: ExitStatus.usage)
        }
        guard let (object, repeatsAField) = Self.parsedObject(task) else {
            return .failure(Self.notAnObject(task), status: ExitStatus.usage)
        }
        // Read by the delegate's rule (section 3: an id is a string; null is none). Any other
        // value every delegate rejects, and the spool would queue it under a name of submit's
        // own: refused before anything is sent, as an id not valid is.
        let id: String?
        do {
            id = try JSONValue.optionalString(object["id"])
        } catch {
            return .failure("the task's id is not a string; the delegate would reject it", status: ExitStatus.usage)
        }
        switch destination {
        case .socket(let path):
            // With --seal a result line without the task's id is no answer (the id is bound into
            // the seal), and the delegate's rejection of a task whose id it cannot read has none:
            // such a task would wait out --timeout. Refused here, as on the SQS path.
            if privateKey != nil, let problem = Self.unreadableIDProblem(id, repeatsAField: repeatsAField) {
                return .failure(problem, status: ExitStatus.usage)
            }
            return await submitToSocket(task, id: id, path: path, privateKey: privateKey)
        case .spool(let directory):
            return await submitToSpool(task, id: id, directory: directory, privateKey: privateKey)
        case .sqs(let target):
            return await submitToSQS(
                task, id: id, object: object, repeatsAField: repeatsAField, to: target, privateKey: privateKey)
        }
    }

    /// Why the delegate could not read `id` back into its answer (nil: it can): an id that is
    /// missing or not a valid one, or a task that gives a field twice (rejected before its id is
    /// read). Such a rejection carries no id, so a wait that needs the id never takes it.
    static func unreadableIDProblem(_ id: String?, repeatsAField: Bool) -> String? {
        guard let id, DelegateTask.isValidID(id) else {
            return "the task's id is not 1-128 characters of letters, digits, '.', '_' and '-' not starting with '.'"
        }
        return repeatsAField ? "the task gives a field twice; the delegate would reject it" : nil
    }

    private func submitToSocket(_ task: Data, id: String?, path: String, privateKey: [UInt8]?) async -> CommandOutcome {
        // JSON allows raw newlines only between tokens, so a pretty-printed task becomes one
        // line by turning them into spaces.
        var line = task
        for index in line.indices where line[index] == UInt8(ascii: "\n") || line[index] == UInt8(ascii: "\r") {
            line[index] = UInt8(ascii: " ")
        }
        let client: SocketClient
        do {
            client = try SocketClient.connect(path: path, timeout: timeout)
        } catch {
            return .failure(
                UnreachableSocket.message(path: path, cause: error, errno: error.errno),
                status: UnreachableSocket.status(invalidAddress: error.code == .invalidAddress))
        }
        defer { client.close() }
        do {
            try client.send(line)
        } catch {
            // A delegate that refused the connection answered and closed before reading the task.
            if error.code != .timedOut, let refusal = client.pendingRefusal() { return .refused(refusal) }
            return .failure(
                error.code == .timedOut
                    ? "the delegate read nothing of the task within \(timeout)"
                    : "talking to the delegate failed: \(error)",
                status: ExitStatus.unavailable)
        }
        do {
            guard wait else {
                // A task the delegate took is answered only when done, which is not waited for;
                // its refusal, or a rejection or failure that comes at once (a connector unknown
                // there, a task for other delegates), is said as with --wait (a success is not
                // printed: no value was asked for).
                let submitted = CommandOutcome(
                    output: "submitted \(id ?? "task") to \(path)", status: ExitStatus.success)
                let reply: Data
                do {
                    // Nothing within the time: the delegate took the task and runs it.
                    guard let line = try client.readLine(timeout: answerWindow) else {
                        // Closed without an answer: a stop or a reload took the connection before
                        // the task started (INTERFACE section 6: send it again), what holds the
                        // path is no delegate, or the delegate was killed.
                        return .failure(
                            "the delegate closed the connection without answering: the task was most likely not taken "
                                + "(the delegate stopping or reloading: send it again; if it was killed, the task may "
                                + "have run)", status: ExitStatus.unavailable)
                    }
                    reply = line
                } catch  where error.code == .timedOut {
                    return submitted
                }
                if let refusal = SecretFetcher.socketRefusal(inLine: reply) { return .refused(refusal) }
                guard !client.lastLineWasCutShort else {
                    return .failure(
                        "the delegate closed the connection in the middle of an answer (it stopped or was killed); the task may have run",
                        status: ExitStatus.unavailable)
                }
                if let answer = Self.outcome(forResult: reply, expectedID: id, privateKey: privateKey),
                    answer.status == ExitStatus.taskFailed
                        || (answer.status == ExitStatus.unavailable && (try? TaskResult.decode(jsonLine: reply)) == nil)
                {
                    // A failure it answered at once, or an answer that is no result (no delegate there).
                    return answer
                }
                return submitted
            }
            let deadline = ContinuousClock.now + timeout
            while true {
                let remaining = deadline - ContinuousClock.now
                // Other tasks' results took the time: no result of this one came in it.
                guard remaining > .zero else {
                    return .failure("no result within \(timeout)", status: ExitStatus.unavailable)
                }
                guard let reply = try client.readLine(timeout: remaining) else {
                    return .failure(
                        "the delegate closed the connection before answering", status: ExitStatus.unavailable)
                }
                // Never printed: part of a result may be part of a secret.
                guard !client.lastLineWasCutShort else {
                    return .failure(
                        "the delegate closed the connection in the middle of an answer (it stopped or was killed); the task may have run",
                        status: ExitStatus.unavailable)
                }
                if let outcome = Self.outcome(forResult: reply, expectedID: id, privateKey: privateKey) {
                    return outcome
                }
            }
        } catch {
            let timedOut = error.code == .timedOut
            return .failure(
                timedOut ? "no result within \(timeout)" : "talking to the delegate failed: \(error)",
                status: ExitStatus.unavailable)
        }
    }

    private func submitToSpool(
        _ task: Data, id: String?, directory: String, privateKey: [UInt8]?
    ) async -> CommandOutcome {
        let taskID = id ?? TaskID.random(prefix: "submit-")
        let producer = makeProducer(directory)
        // Queued but not surely durable: the task will run, so this is no failure (submitting it
        // again would find it queued), but the caller hears of it, whatever the wait brings.
        var warning = ""
        let outcome: CommandOutcome
        do {
            let path: String
            do {
                path = try producer.enqueue(id: taskID, data: task)
            } catch  where error.code == .queuedNotDurable {
                path = error.path ?? directory + "/new/" + taskID + ".json"
                warning = "warning: \(error.code): \(error.message)"
            }
            if wait {
                // Read, not taken: it is deleted once printed (`emit`), and only if it is this task's.
                do {
                    let result = try await producer.waitForResult(
                        id: taskID, timeout: timeout, removeAfterReading: false)
                    // Done once the delegate is: its result synced and its task file gone, so the
                    // id may be used again at once (a claim still held stops `submit` a while).
                    _ = await producer.waitUntilUnclaimed(id: taskID, limit: claimReleaseLimit)
                    if var answer = Self.outcome(forResult: result, expectedID: taskID, privateKey: privateKey) {
                        // Deleted once printed. With --seal, one that could not be opened (sealed
                        // to another producer's key, or in the clear) is printed as nothing and
                        // may be another producer's only copy: it stays.
                        if !answer.output.isEmpty { answer.collectedResult = .init(directory: directory, id: taskID) }
                        outcome = answer
                    } else {
                        // Not this task's: with --seal, a result without an id (the id is bound
                        // into the seal; the delegate names a result by its task's id). The
                        // delegate keeps an uncollected result: it answers this task with none of
                        // its own (DuplicateTask), so it is not "queued" for a result.
                        outcome = .failure(
                            "done/\(taskID).json holds another task's result; it is left there, and the delegate will not "
                                + "write one for \(path) while it waits: collect or remove it, then submit again under the id",
                            status: ExitStatus.unavailable)
                    }
                } catch  where error.code != .timedOut {
                    outcome = .failure(
                        "\(path) is queued, but its result cannot be waited for: \(error)",
                        status: ExitStatus.unavailable)
                }
            } else {
                outcome = CommandOutcome(output: "queued \(path)", status: ExitStatus.success)
            }
        } catch {
            if error.code == .timedOut {
                // A claimed task runs; submitting it again would be refused as running.
                let state = producer.claimingDelegate(id: taskID).map {
                    "the task is running (claimed by delegate \($0))"
                }
                outcome = .failure(
                    "no result for \(taskID) within \(timeout); \(state ?? "the task stays queued")",
                    status: ExitStatus.unavailable)
            } else if error.code == .invalidName || error.code == .alreadyExists {
                outcome = .failure("\(error)", status: ExitStatus.usage)
            } else {
                // No permission: what the socket's refusal says, for the spool's group.
                let hint =
                    [EACCES, EPERM].contains(error.errno ?? 0)
                    ? "; this user may not write there: the packaged spool is for the secrets-delegate group "
                        + "(add the user to it, then log in again)" : ""
                outcome = .failure(
                    "the spool \(directory) cannot be used: \(error)\(hint)", status: Self.spoolFailureStatus(error))
            }
        }
        return warning.isEmpty ? outcome : outcome.adding(warning, first: true)
    }

    /// How `submit --spool` exits when the task could not be queued: 74 when the system failed
    /// to write it (``ExitStatus/systemWriteFailures``: the spool is there, the write was
    /// refused), 69 otherwise (no spool there, no permission: nothing could take the task).
    static func spoolFailureStatus(_ error: TaskQueueError) -> Int32 {
        guard let number = error.errno, ExitStatus.systemWriteFailures.contains(number) else {
            return ExitStatus.unavailable
        }
        return ExitStatus.ioError
    }

    /// The outcome for a result line, or nil when the line is the result of another task. With
    /// `privateKey` (`--seal`), a sealed result is printed opened, and a line without the task's
    /// id is no answer (the id is bound into the seal; as on the SQS path).
    static func outcome(forResult line: Data, expectedID: String?, privateKey: [UInt8]? = nil) -> CommandOutcome? {
        // Read from the bytes as they came, as `open` reads them: a line that is not UTF-8 is no
        // result, not one repaired (U+FFFD) and printed.
        let result: TaskResult
        do {
            result = try TaskResult.decode(jsonLine: line)
        } catch {
            if let refusal = SecretFetcher.socketRefusal(inLine: line) { return .refused(refusal) }
            // Nothing on stdout, as `get` prints nothing: part of what could not be read may be
            // part of a secret, and a script takes stdout for the result. (A spool result stays in
            // done/ to be looked at: only one printed is deleted.)
            return CommandOutcome(
                errorOutput: "secrets-delegate: the delegate answered with something that is not a result: "
                    + TaskResult.readingProblem(error),
                status: ExitStatus.unavailable)
        }
        // Another task's result; with --seal, a line without an id too (the id is bound into the seal).
        if let expectedID, result.id != expectedID, result.id != nil || privateKey != nil { return nil }
        let text = String(decoding: line, as: UTF8.self).trimmingWhitespace()  // UTF-8, as it was read
        return outcome(for: result, text: text, privateKey: privateKey)
    }

    /// The outcome for `result`, read from the result line `text`: the line printed (with
    /// `privateKey`, a sealed result opened) and the status its task's outcome gives. With
    /// `privateKey`, a success must be sealed (every success carries a result, sealed under
    /// `sealTo`): one in the clear, or with no result at all, is refused.
    static func outcome(for result: TaskResult, text: String, privateKey: [UInt8]?) -> CommandOutcome {
        let status = result.status == .succeeded ? ExitStatus.success : ExitStatus.taskFailed
        if let privateKey, result.sealed != nil || result.result != nil || result.status == .succeeded {
            return ResultOpener.outcome(opening: result, privateKey: privateKey, status: status, requireSealed: true)
        }
        return CommandOutcome(output: text, status: status)
    }

    /// `task` with a `"sealTo"` of `pair`'s public key as its first field. The rest of the task is
    /// kept byte for byte.
    static func addSealTo(_ task: Data, pair: HPKE.KeyPair) -> Result<Data, SealedResultError> {
        guard let object = jsonObject(task) else {
            return .failure(SealedResultError(notAnObject(task)))
        }
        guard object["sealTo"] == nil else {
            return .failure(SealedResultError("the task has a sealTo already; --seal adds its own"))
        }
        guard let sealed = inserting(field: "sealTo", value: Data(pair.publicKey).base64EncodedString(), into: task)
        else {
            return .failure(SealedResultError("the task is not a JSON object"))
        }
        return .success(sealed)
    }

    /// The members of `task` if it is one UTF-8 JSON object, parsed in place (a task may hold a
    /// secret value); nil otherwise.
    static func jsonObject(_ task: Data) -> JSONObject? {
        parsedObject(task)?.object
    }

    /// Why `task`, which ``parsedObject(_:)`` could not read, is no task: empty, not UTF-8, not
    /// JSON, or JSON of another kind (never quoting it: a task may hold a secret value).
    static func notAnObject(_ task: Data) -> String {
        if task.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return "the task is empty, not a JSON object"
        }
        if String(validating: task, as: UTF8.self) == nil { return "the task is not UTF-8 text, so no JSON object" }
        if let stop = task.withUnsafeBytes({ JSONParser.stop(in: $0) }) {
            return "the task is not valid JSON (a JSON object is expected): \(stop)"
        }
        return "the task is JSON but not an object (a task is one JSON object)"
    }

    /// ``jsonObject(_:)`` and whether the task gives a field twice anywhere (the delegate rejects
    /// such a task), from the one parse.
    static func parsedObject(_ task: Data) -> (object: JSONObject, repeatsAField: Bool)? {
        guard let parsed = task.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) }),
            case .object(let object) = parsed.value
        else { return nil }
        return (object, parsed.hasDuplicateKeys)
    }

    /// `task` with `"<field>":"<value>"` as its first member, the rest kept byte for byte (a
    /// leading byte order mark too, which tasks may carry); nil if the task is not a JSON object.
    /// `name` and `value` are written as JSON strings.
    static func inserting(field name: String, value: String, into task: Data) -> Data? {
        let bytes = Array(task)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard let brace = bytes[start...].firstIndex(where: { !isSpace($0) }), bytes[brace] == UInt8(ascii: "{") else {
            return nil
        }
        let empty = bytes[(brace + 1)...].first(where: { !isSpace($0) }) == UInt8(ascii: "}")
        var field: [UInt8] = []
        JSONValue.writeString(name, into: &field)
        field.append(UInt8(ascii: ":"))
        JSONValue.writeString(value, into: &field)
        if !empty { field.append(UInt8(ascii: ",")) }
        return Data(bytes[...brace] + field + bytes[(brace + 1)...])
    }
}
