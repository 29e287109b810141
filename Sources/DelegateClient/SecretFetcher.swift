import JSON
import LineSocket
import SafeText

/// `secrets-delegate get` and the fetching half of `exec` (docs/INTERFACE.md section 10): sends
/// one `getSecretValue` task naming a configured connector through the delegate's socket and
/// hands back the value, or why there is none.
///
/// Messages never hold a value: a failure names the error code and the delegate's message, which
/// itself never holds one. Needs no Foundation, so the small front binary serves `get` with it.
public struct SecretFetcher: Sendable {
    /// Which version of the secret to read; `current` is AWS's default (`AWSCURRENT`).
    public enum Version: Sendable, Equatable {
        case current
        case id(String)
        case stage(String)
    }

    /// Why a value could not be had, with the exit status it maps to (section 7).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The delegate's error code (`ResourceNotFoundException`, ...), when it gave one.
        public var code: String?
        public var message: String
        public var status: Int32
        /// What the failure is about when there are several (`exec`'s variable name).
        public var subject: String?

        public init(code: String? = nil, message: String, status: Int32, subject: String? = nil) {
            self.code = code
            self.message = message
            self.status = status
            self.subject = subject
        }

        /// `[subject: ][code: ]message`, one line: the code and the message come from whatever
        /// answered on the socket, so they are shown as ``ShownText`` shows them (a line break or
        /// a terminal's escape sequence as `\u{..}`), never written to the terminal as they are.
        public var description: String {
            ShownText.escaped([subject, code, message].compactMap { $0 }.joined(separator: ": "))
        }
    }

    /// What `get` produced: the exact bytes for stdout, one line for stderr, the exit status.
    public struct Outcome: Sendable, Equatable {
        public var output: [UInt8]
        public var errorOutput: String
        public var status: Int32

        /// Writes the output to stdout and the line (if any) to stderr, as both binaries' `get`
        /// does; the exit status, 74 when stdout refused the value.
        public func emit() -> Int32 {
            FileDescriptorWriter.emit(output: output, errorOutput: errorOutput, status: status, what: "the value")
        }
    }

    public var socketPath: String
    public var timeout: Duration
    /// Whether each read asks Secrets Manager, not the delegate's read cache (`"refresh": true`,
    /// section 14; the answer is stored for the reads after it).
    public var refresh: Bool

    public init(socketPath: String, timeout: Duration = .seconds(120), refresh: Bool = false) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.refresh = refresh
    }

    /// `get`: the value's bytes (no newline added), or with `json` the whole result line and a
    /// newline. On failure nothing goes to stdout.
    public func get(connector: String, name: String, version: Version = .current, json: Bool = false) -> Outcome {
        do throws(Failure) {
            let (line, result) = try fetch(connector: connector, name: name, version: version)
            let output = json ? line + [UInt8(ascii: "\n")] : try Self.value(of: result)
            return Outcome(output: output, errorOutput: "", status: ExitStatus.success)
        } catch {
            return Outcome(output: [], errorOutput: "secrets-delegate: \(error)", status: error.status)
        }
    }

    /// The value of `connector`'s secret `name` (`NAME#KEY` picks one field): a string's UTF-8
    /// bytes or a binary secret's raw bytes.
    public func value(connector: String, name: String, version: Version = .current) throws(Failure) -> [UInt8] {
        let (_, result) = try fetch(connector: connector, name: name, version: version)
        return try Self.value(of: result)
    }

    /// The task line `get` sends: the id, the connector by name, and the params.
    public static func task(
        id: String, connector: String, name: String, version: Version, refresh: Bool = false
    ) -> [UInt8] {
        var params: JSONObject = ["name": .string(name)]
        switch version {
        case .current: break
        case .id(let id): params["versionId"] = .string(id)
        case .stage(let stage): params["versionStage"] = .string(stage)
        }
        if refresh { params["refresh"] = true }
        let task: JSONValue = .object([
            "id": .string(id), "connector": .string(connector), "operation": .string("getSecretValue"),
            "params": .object(params),
        ])
        return task.jsonBytes
    }

    /// Sends the task and waits for its result: the line as received and the result's members,
    /// for a result that succeeded. Everything else is a ``Failure``.
    private func fetch(connector: String, name: String, version: Version) throws(Failure) -> ([UInt8], JSONObject) {
        let id = TaskID.random(prefix: "get-")
        let client: LineSocketClient
        do {
            client = try LineSocketClient.connect(path: socketPath, timeout: timeout)
        } catch {
            throw Failure(
                message: UnreachableSocket.message(path: socketPath, cause: error, errno: error.errno),
                status: UnreachableSocket.status(invalidAddress: error.code == .invalidAddress))
        }
        defer { client.close() }
        do {
            try client.send(Self.task(id: id, connector: connector, name: name, version: version, refresh: refresh))
        } catch {
            if error.code != .timedOut, let line = try? client.readLine(timeout: Self.refusalReadTime),
                let refusal = Self.socketRefusal(inLine: line)
            {
                throw Failure(code: refusal.code, message: refusal.message, status: ExitStatus.unavailable)
            }
            throw Failure(
                message: error.code == .timedOut
                    ? "the delegate read nothing of the task within \(timeout)"
                    : "talking to the delegate failed: \(error)",
                status: ExitStatus.unavailable)
        }
        // The result has the whole timeout of its own (as the connect and the send had theirs): a
        // connect that waited on a full backlog does not eat into it.
        let deadline = ContinuousClock.now + timeout
        do {
            while true {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { throw LineSocketError(code: .timedOut, message: "") }
                guard let line = try client.readLine(timeout: remaining) else {
                    throw Failure(
                        message: "the delegate closed the connection before answering", status: ExitStatus.unavailable)
                }
                if let result = try Self.result(line, id: id) { return (line, result) }
            }
        } catch let error as Failure {
            throw error
        } catch {
            let timedOut = (error as? LineSocketError)?.code == .timedOut
            throw Failure(
                message: timedOut ? "no result within \(timeout)" : "talking to the delegate failed: \(error)",
                status: ExitStatus.unavailable)
        }
    }

    /// How long a send that broke waits for the socket's refusal that broke it: a delegate that
    /// refused the connection (no slot free, say) answered and closed before reading the task,
    /// and its answer is there to be read already, or never comes.
    public static let refusalReadTime = Duration.milliseconds(200)

    /// The socket's refusal in `line`, if it is one.
    public static func socketRefusal(inLine line: some Collection<UInt8>) -> (code: String, message: String)? {
        guard case .object(let members)? = Array(line).withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0) })?.value
        else { return nil }
        return socketRefusal(members)
    }

    /// The statuses a result line has (section 4).
    private static let resultStatuses: Set<String> = ["succeeded", "failed", "rejected"]

    /// The socket's own refusal in an answer that is no result nor status object
    /// (`{"error":"TooManyConnections","message":...}`): its code and message.
    public static func socketRefusal(_ members: JSONObject) -> (code: String, message: String)? {
        guard let code = members["error"]?.stringValue else { return nil }
        return (code, members["message"]?.stringValue ?? "the delegate refused the connection")
    }

    /// The members of the result in `line` if it answers task `id` and succeeded; nil for another
    /// task's result.
    static func result(_ line: [UInt8], id: String) throws(Failure) -> JSONObject? {
        let parsed = line.withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) }
        guard case .object(var members)? = parsed?.value else { throw notAResult }
        // A result names its status and its delegate (section 4); its id, when it has one, is a string.
        guard let status = members["status"]?.stringValue, resultStatuses.contains(status),
            members["delegate"]?.stringValue != nil
        else {
            if let refusal = socketRefusal(members) {
                throw Failure(code: refusal.code, message: refusal.message, status: ExitStatus.unavailable)
            }
            throw notAResult
        }
        switch members["id"] {
        case nil, .null?: break
        case .string(let resultID)?: if resultID != id { return nil }
        default: throw notAResult
        }
        // `null` members are as good as absent.
        members = members.filter { $0.value != .null }
        guard status == "succeeded" else {
            let error = members["error"]
            throw Failure(
                code: error?["code"]?.stringValue ?? status,
                message: error?["message"]?.stringValue ?? "the task \(status)", status: ExitStatus.taskFailed)
        }
        return members
    }

    private static let notAResult = Failure(
        message: "the delegate answered with something that is not a result", status: ExitStatus.unavailable)

    /// The value a succeeded `getSecretValue` result holds (``ResultValue``).
    static func value(of result: JSONObject) throws(Failure) -> [UInt8] {
        do {
            return try ResultValue.bytes(of: result["result"], sealed: result["sealed"] != nil)
        } catch {
            throw Failure(message: error.message, status: ExitStatus.taskFailed)
        }
    }
}
