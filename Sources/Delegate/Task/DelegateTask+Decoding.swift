import AWSCore
import AWSCredentials
import FoundationEssentials
import JSON
import SafeText
import TaskQueue
import SQS
import SecretsManager

extension DelegateTask {
    /// Decodes and validates a task: at most 1 MiB of UTF-8 JSON, one object, every field as the
    /// spec says. Anything wrong is a `TaskRejection` saying exactly what, before any AWS call.
    ///
    /// - Parameters:
    ///   - defaultID: the id to use when the task has none (the spool file's name without
    ///     `.json`); nil on the socket, where `id` is required.
    ///   - connectors: the configured connectors a task may name (`"connector": "<id>"`).
    public static func decode(
        _ data: Data, defaultID: String?, connectors: [String: NamedConnector] = [:]
    ) throws(TaskRejection) -> DelegateTask {
        try decode(TaskDocument(data), defaultID: defaultID, connectors: connectors)
    }

    /// ``decode(_:defaultID:connectors:)`` for a task already parsed (peeked at by an intake).
    public static func decode(
        _ document: TaskDocument, defaultID: String?, connectors: [String: NamedConnector] = [:]
    ) throws(TaskRejection) -> DelegateTask {
        let data = document.data
        let fallbackID = defaultID.flatMap { isValidID($0) ? $0 : nil }
        guard data.count <= maximumSize else {
            throw TaskRejection(
                code: .invalidTask,
                message: "the task is \(data.count) bytes; the limit is \(maximumSize) bytes (1 MiB)",
                taskID: fallbackID)
        }
        guard let parsed = document.parsed else {
            let message = data.withUnsafeBytes { bytes in
                guard JSONParser.isValidUTF8(bytes) else { return "the task is not valid UTF-8" }
                guard let stop = JSONParser.stop(in: bytes) else { return "the task is not valid JSON" }
                // As `submit` says it of such a file.
                return stop.reason == .empty
                    ? "the task is empty, not a JSON object" : "the task is not valid JSON: \(stop)"
            }
            throw TaskRejection(code: .invalidTask, message: message, taskID: fallbackID)
        }
        let value = parsed.value
        guard case .object(let fields) = value else {
            throw TaskRejection(
                code: .invalidTask, message: "the task must be a JSON object, not \(value.kindDescription)",
                taskID: fallbackID)
        }

        // Context for the rejected result, read leniently before anything is checked; a field
        // given twice is no context, since it is not known which of its values was meant.
        // (Whether given twice, though another key was given twice before it: the first
        // duplicate alone named no `id` repeated after a repeated `params` key.)
        let duplicates =
            parsed.hasDuplicateKeys ? data.withUnsafeBytes { JSONParser.duplicateKeys(in: $0, shallowDepth: 1) } : nil
        let duplicate = duplicates?.first
        func unambiguous(_ path: [JSONParser.PathComponent], _ key: String) -> Bool {
            duplicates?.shallow.contains(JSONParser.DuplicateKey(path: path, key: key)) != true
        }
        let contextID =
            (unambiguous([], "id") ? fields["id"]?.stringValue.flatMap { isValidID($0) ? $0 : nil } : nil)
            ?? fallbackID
        let contextOperation =
            unambiguous([], "operation")
            ? fields["operation"]?.stringValue.flatMap { OperationName(rawValue: $0)?.rawValue } : nil
        let contextConnector =
            unambiguous([], "connector") && unambiguous([.key("connector")], "id")
            ? (fields["connector"]?["id"] ?? fields["connector"])?.stringValue.flatMap {
                SpoolName.isValidID($0) ? $0 : nil
            } : nil
        // A name, not an inline connector object's id (which a producer chooses).
        let contextNamed = fields["connector"]?.stringValue != nil
        if let duplicate {
            throw TaskRejection(
                code: .invalidTask, message: duplicate.message, taskID: contextID, operation: contextOperation,
                connectorID: contextConnector, connectorIsNamed: contextNamed)
        }
        do {
            return try decode(
                TaskObject(path: "", fields: fields), defaultID: fallbackID, rawDefaultID: defaultID,
                connectors: connectors)
        } catch {
            throw TaskRejection(
                code: error.code, message: error.message, taskID: contextID, operation: contextOperation,
                connectorID: contextConnector, connectorIsNamed: contextNamed)
        }
    }

    /// `[A-Za-z0-9._-]{1,128}`, not starting with `.`: task ids name result files, so they must
    /// be safe file names that are not hidden.
    public static func isValidID(_ id: String) -> Bool {
        // The spool's own rule, so every id a task may carry can name its result file.
        SpoolName.isValidTaskID(id)
    }

    private static let topLevelFields: [String] = [
        "id", "connector", "operation", "params", "deadlineSeconds", "sealTo", "replyTo",
    ]

    private static func decode(
        _ task: TaskObject, defaultID: String?, rawDefaultID: String?, connectors: [String: NamedConnector]
    ) throws(TaskProblem) -> DelegateTask {
        let id: String
        if let given = try task.optionalString("id") {
            guard SpoolName.isValidID(given) else {
                throw .invalid("id must be 1-128 characters of A-Za-z0-9._- (and not '.' or '..')")
            }
            guard isValidID(given) else {
                throw .invalid("id must not start with '.': it names the result file, which would be hidden")
            }
            id = given
        } else if let defaultID {
            id = defaultID
        } else if rawDefaultID != nil {
            throw .invalid(
                "the task has no id and its file name is not a valid id (1-128 characters of A-Za-z0-9._-)")
        } else {
            throw .invalid("id is required")
        }

        let named = try NamedConnector.resolve(task, in: connectors)
        let connector: Connector
        if let named {
            connector = named.connector
        } else {
            connector = try Connector.decode(try task.object("connector"))
        }

        let operationText = try task.string("operation")
        guard let operationName = OperationName(rawValue: operationText),
            let operationType = OperationRegistry.operation(named: operationName)
        else {
            throw .invalid(
                "operation \(DelegateConfiguration.quoted(operationText)) is not known; the operations are "
                    + OperationName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let params: TaskObject
        switch task.fields["params"] {
        case .none, .some(.null): params = TaskObject(path: "params", fields: [:])
        case .some(.object(let object)): params = TaskObject(path: "params", fields: object)
        case .some(let other): throw .invalid("params must be an object, not \(other.kindDescription)")
        }
        let operation = try TaskOperation.decode(operationType, params: params, connector: connector)

        let deadline = try task.optionalInt("deadlineSeconds", range: deadlineRange) ?? defaultDeadlineSeconds
        let sealTo = try decodeSealTo(task)
        let replyTo = try task.optionalString("replyTo")
        if let replyTo, replyTo.utf8.count > SQSQueueURL.maximumLength {
            throw .invalid("replyTo must be at most \(SQSQueueURL.maximumLength) bytes, not \(replyTo.utf8.count)")
        }
        // Which rule it breaks, as the configuration says it of a queue URL (never the URL itself).
        if let replyTo, let reason = DelegateConfiguration.SQSSection.notAQueueURL(replyTo) {
            throw .invalid("replyTo \(reason)")
        }
        try task.refuseUnknown(topLevelFields, what: "a task", checkPlaintextSecrets: true)
        var decoded = DelegateTask(
            id: id, connector: connector, operation: operation, deadlineSeconds: deadline, sealTo: sealTo,
            connectorPolicy: named?.policy)
        decoded.replyTo = replyTo
        return decoded
    }
}

extension Connector {
    private static let fields: [String] = ["id", "region", "secretNamePrefix", "delegateSelectors", "credentials"]

    /// A connector's selectors at most, and the bytes of each.
    static let maximumSelectors = 64
    static let maximumSelectorBytes = 256

    static func decode(_ object: TaskObject) throws(TaskProblem) -> Connector {
        // Plain secrets are refused first, whatever else is wrong.
        try object.refuseUnknown(fields, what: "a connector", checkPlaintextSecrets: true)
        let id = try object.string("id")
        // Connector ids name no file, so a leading `.` is allowed here.
        guard SpoolName.isValidID(id) else {
            throw .invalid("connector.id must be 1-128 characters of A-Za-z0-9._-")
        }
        let region = try object.string("region")
        guard isValidRegion(region) else {
            throw .invalid(
                "connector.region \(DelegateConfiguration.quoted(region)) is not an AWS region (like us-east-1)")
        }
        let prefix = SecretReference.normalizedPrefix(try object.optionalString("secretNamePrefix") ?? "")
        if !prefix.isEmpty {
            do {
                try SecretReference.validate(prefix: prefix)
            } catch {
                throw .secretName("connector.secretNamePrefix is invalid: \(error.message)")
            }
        }
        let selectors = try object.optionalStrings("delegateSelectors") ?? []
        if let problem = Self.selectorProblem(selectors) { throw .invalid(problem) }
        let credentials = try CredentialSpec.decode(try object.object("credentials"))
        return Connector(
            id: id, region: region, secretNamePrefix: prefix, delegateSelectors: selectors, credentials: credentials)
    }

    /// What makes `selectors` invalid, nil if nothing: the rule the decoder refuses a task by
    /// (`InvalidTask`) and ``SelectionPolicy/matches(_:)`` takes such a task up by, so that it is
    /// answered on every intake. Bounded (a task is held, its selectors copied, while it waits for
    /// a slot, and the socket's budget counts only its line's bytes); a blank one (a producer's
    /// unset variable) matches no tag, and ignored it would leave a task meant for one pool to
    /// every delegate that accepts untagged tasks; one that no tag could be (longer than a tag,
    /// with a comma, a control or bidirectional character: ``DelegateConfiguration/listEntryProblem(_:)``)
    /// would be left by every delegate, in `new/` or on its queue, unanswered.
    static func selectorProblem(_ selectors: [String]) -> String? {
        guard selectors.count <= maximumSelectors else {
            return "connector.delegateSelectors has \(selectors.count) selectors; the limit is \(maximumSelectors)"
        }
        if let long = selectors.firstIndex(where: { $0.utf8.count > maximumSelectorBytes }) {
            return "connector.delegateSelectors[\(long)] is longer than \(maximumSelectorBytes) bytes"
        }
        if let blank = selectors.firstIndex(where: \.isBlank) {
            return
                "connector.delegateSelectors[\(blank)] is blank; a selector names a delegate tag (leave the list empty for any delegate)"
        }
        // One no delegate's tag (nor name) could be, which no delegate would ever take up.
        for (index, selector) in selectors.enumerated() {
            let trimmed = selector.trimmingWhitespace()
            if trimmed.utf8.count > DelegateConfiguration.maximumListEntryBytes {
                return
                    "connector.delegateSelectors[\(index)] is longer than \(DelegateConfiguration.maximumListEntryBytes) "
                    + "bytes once trimmed, which no delegate tag is: it could never match"
            }
            if trimmed.contains(",") {
                return
                    "connector.delegateSelectors[\(index)] contains a comma, which no delegate tag does: give one selector "
                    + "per tag ([\"aws\", \"prod\"], not [\"aws,prod\"])"
            }
            if let scalar = trimmed.unicodeScalars.first(where: ShownText.isEscaped),
                let kind = ShownText.kind(of: scalar)
            {
                return "connector.delegateSelectors[\(index)] contains \(kind) (\(ShownText.shown(scalar))), which no "
                    + "delegate tag does: it could never match"
            }
        }
        return nil
    }

    /// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-2`, `eusc-de-east-1`...: two
    /// letters (or the European Sovereign Cloud's `eusc`), one or more lower-case words, a number.
    public static func isValidRegion(_ region: String) -> Bool {
        // By bytes (every task names a region): parts of a-z joined by "-", at least three, the
        // first of two letters (or `eusc`) and the last of one or two digits.
        let bytes = region.utf8
        guard bytes.count <= 32 else { return false }
        var parts = 0
        var partLength = 0
        var partIsLetters = true
        var partIsDigits = true
        var firstPartLength = 0
        var allButLastAreLetters = true
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                if partLength == 0 || !partIsLetters { allButLastAreLetters = false }
                if parts == 0 { firstPartLength = partLength }
                parts += 1
                partLength = 0
                partIsLetters = true
                partIsDigits = true
                continue
            }
            partLength += 1
            if !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { partIsLetters = false }
            if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { partIsDigits = false }
        }
        parts += 1
        return parts >= 3 && allButLastAreLetters
            && (firstPartLength == 2 || (firstPartLength == 4 && bytes.starts(with: "eusc".utf8)))
            && (1...2).contains(partLength) && partIsDigits
    }
}
