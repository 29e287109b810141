import FoundationEssentials
import JSON
internal import TOMLKit

extension NamedConnector {
    /// The keys of a connector table, in the order of the spec.
    static let keys = [
        "region", "secret_name_prefix", "delegate_selectors", "credentials", "operations", "allowed_users",
        "allowed_groups", "allowed_units", "allowed_queues", "require_sealed_results", "cache_ttl_seconds",
        "cache_stale_seconds",
    ]

    /// The keys of `credentials`, for every type (the type decides which of them it takes).
    static let credentialKeys = [
        "type", "access_key_id", "access_key_id_ref", "secret_access_key_ref", "session_token_ref", "role_arn",
        "external_id", "duration_seconds",
    ]

    /// Validates one connector table. Region, prefix, selectors and credentials go through
    /// `Connector.decode`, the validator of inline task connectors, so a connector is accepted on
    /// the host exactly when the same connector would be accepted inside a task.
    ///
    /// - Parameter origin: `[connectors.<id>]` (with the file's path when known) or the drop-in's
    ///   path; every error names it and the key.
    /// - Parameter isDropIn: declared in a `connectors.d` drop-in.
    static func load(id: String, table: TOMLTable, origin: String, isDropIn: Bool = false) throws(ConfigurationError)
        -> NamedConnector
    {
        func error(_ key: String?, _ reason: String) -> ConfigurationError {
            ConfigurationError(key: key.map { "\(origin) \($0)" } ?? origin, reason: reason)
        }
        guard DelegateTask.isValidID(id) else {
            throw error(nil, "a connector id must be 1-128 characters of A-Za-z0-9._-, not starting with '.'")
        }
        for key in table.keys.sorted() where !keys.contains(key) {
            throw error(TaskObject.shownUnknownKey(key, as: "key"), "unknown key; a connector takes " + keys.joined(separator: ", "))
        }
        guard table["region"] != nil else { throw error("region", "is required") }
        guard let credentialsValue = table["credentials"] else { throw error("credentials", "is required") }
        guard let credentials = credentialsValue.table else {
            throw error("credentials", "must be an inline table like { type = \"instanceRole\" }")
        }
        for key in credentials.keys.sorted() where !credentialKeys.contains(key) {
            throw error(
                "credentials",
                "\(TaskObject.shownUnknownKey(key, as: "key")) is not a key of credentials; they are "
                    + credentialKeys.joined(separator: ", "))
        }

        // The AWS side, as the task decoder sees it.
        var fields: JSONObject = ["id": .string(id)]
        for key in ["region", "secret_name_prefix", "delegate_selectors"] {
            if let value = table[key] { fields[camelCase(key)] = try json(value, key: key, error: error) }
        }
        var credentialFields: JSONObject = [:]
        for key in credentials.keys {
            guard let value = credentials[key] else { continue }
            // TOML tells 3600.0 from 3600, as JSON cannot: whole seconds, as for the cache keys.
            if key == "duration_seconds", value.type == .double {
                throw error(
                    "credentials.duration_seconds",
                    "must be an integer of seconds, without a decimal point (3600, not 3600.0; STS allows 900 seconds to 12 hours)")
            }
            credentialFields[camelCase(key)] = try json(value, key: "credentials." + key, error: error)
        }
        fields["credentials"] = .object(credentialFields)
        let connector: Connector
        do {
            connector = try Connector.decode(TaskObject(path: "connector", fields: fields))
        } catch {
            throw ConfigurationError(key: origin, reason: snakeCase(message: error.message))
        }

        var policy = ConnectorPolicy()
        if let value = table["operations"] {
            var operations: [OperationName] = []
            for name in try strings(value, key: "operations", error: error) {
                guard let operation = OperationName(rawValue: name) else {
                    throw error(
                        "operations",
                        "\(DelegateConfiguration.quoted(name)) is not an operation; they are "
                            + OperationName.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard !operations.contains(operation) else {
                    throw error("operations", "lists \(name) twice")
                }
                operations.append(operation)
            }
            policy.operations = operations
        }
        policy.principalsListed = ["allowed_users", "allowed_groups", "allowed_units", "allowed_queues"].contains {
            table[$0] != nil
        }
        policy.allowedUsers = try principals(table["allowed_users"], key: "allowed_users", error: error)
        policy.allowedGroups = try principals(table["allowed_groups"], key: "allowed_groups", error: error)
        if let value = table["allowed_units"] {
            policy.allowedUnits = try strings(value, key: "allowed_units", error: error)
            var listed = Set<String>()
            for unit in policy.allowedUnits {
                guard isUnitName(unit) else {
                    throw error("allowed_units", "\(DelegateConfiguration.quoted(unit)) is not a systemd unit name")
                }
                if isTemplate(unit) {
                    throw error(
                        "allowed_units",
                        "\(unit) is a template, which never asks itself: list its instances (name@instance.service)")
                }
                guard listed.insert(unit).inserted else {
                    throw error("allowed_units", "lists \(unit) twice")
                }
            }
        }
        if let value = table["allowed_queues"] {
            policy.allowedQueues = try strings(value, key: "allowed_queues", error: error)
            // Read as `[sqs] queue_urls` are (a password refused before anything is quoted), and https.
            if let problem = DelegateConfiguration.SQSSection.queueURLsProblem(policy.allowedQueues) {
                throw error("allowed_queues", problem)
            }
            if let index = policy.allowedQueues.firstIndex(where: { !$0.hasPrefix("https://") }) {
                throw error("allowed_queues", "entry \(index + 1) is not an https:// queue URL")
            }
        }
        if let value = table["require_sealed_results"] {
            guard value.type == .bool, let bool = value.bool else {
                throw error("require_sealed_results", "must be true or false")
            }
            policy.requireSealedResults = bool
        }
        policy.cacheTTLSeconds = try seconds(
            table["cache_ttl_seconds"], key: "cache_ttl_seconds", range: ConnectorPolicy.cacheTTLRange, error: error)
        policy.cacheStaleSeconds = try seconds(
            table["cache_stale_seconds"], key: "cache_stale_seconds", range: ConnectorPolicy.cacheStaleRange,
            error: error)
        return NamedConnector(connector: connector, policy: policy, origin: origin, isDropIn: isDropIn)
    }

    // MARK: - Values

    private static func json(
        _ value: any TOMLValueConvertible, key: String, error: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> JSONValue {
        switch value.type {
        case .string: if let string = value.string { return .string(string) }
        case .int: if let int = value.int { return .integer(Int64(int)) }
        case .double: if let double = value.double { return .number(double) }
        case .bool: if let bool = value.bool { return .bool(bool) }
        case .array:
            if let array = value.array {
                var elements: [JSONValue] = []
                for element in array { elements.append(try json(element, key: key, error: error)) }
                return .array(elements)
            }
        case .table, .date, .time, .dateTime: break
        }
        throw error(key, "must not be a table, date or time")
    }

    private static func strings(
        _ value: any TOMLValueConvertible, key: String, error: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> [String] {
        guard value.type == .array, let array = value.array else { throw error(key, "must be an array of strings") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard element.type == .string, let string = element.string, !string.isEmpty else {
                throw error(key, "entry \(index + 1) must be a non-empty string")
            }
            strings.append(string)
        }
        return strings
    }

    /// A whole number of seconds within `range`; 0 when absent.
    private static func seconds(
        _ value: (any TOMLValueConvertible)?, key: String, range: ClosedRange<Int>,
        error: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> Int {
        guard let value else { return 0 }
        guard value.type == .int, let seconds = value.int else {
            throw error(key, "must be an integer of seconds, without a decimal point (300, not 300.0)")
        }
        guard range.contains(seconds) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(seconds)")
        }
        return seconds
    }

    /// Users or groups: names, or numeric ids as strings or integers.
    private static func principals(
        _ value: (any TOMLValueConvertible)?, key: String, error: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> [String] {
        guard let value else { return [] }
        guard value.type == .array, let array = value.array else {
            throw error(key, "must be an array of names or numeric ids")
        }
        var entries: [String] = []
        for (index, element) in array.enumerated() {
            if element.type == .int, let id = element.int, (0...Int(UInt32.max - 1)).contains(id) {
                entries.append(String(id))
            } else if element.type == .string, let name = element.string, isPrincipalName(name),
                // An id as a string has the integer's range.
                DelegateConfiguration.isNameOrID(name)
            {
                entries.append(name)
            } else {
                // The entry as written (a name is no secret), so that one of many is found.
                let shown = element.string.map { " " + DelegateConfiguration.quoted($0) } ?? ""
                throw error(
                    key,
                    "entry \(index + 1)\(shown) must be a user or group name (letters, digits, '.', '_', '-', '$') or a numeric id: "
                        + "name a directory service's user or group with another spelling (an '@', a space, a '\\') "
                        + "by its number (getent group NAME)")
            }
        }
        return entries
    }

    /// A POSIX-ish user or group name (what `useradd` accepts, plus numeric ids).
    static func isPrincipalName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "_", "-", ".", "$": true
                default: false
                }
            }
    }

    /// The unit types systemd knows (systemd.unit(5)); a unit name ends in one of them.
    static let unitTypes: Set<Substring> = [
        "service", "socket", "device", "mount", "automount", "swap", "target", "path", "timer", "slice", "scope",
    ]

    /// The fewest bytes a unit name has: "a.swap", "a.path".
    static let shortestUnitName = 6

    /// `name@.type`: a template, whose instances (`name@instance.type`) are what run and ask. As
    /// systemd reads a name: its first `@` right before its last `.` (an instance string may hold
    /// more `@`: `a@b@.service` is an instance).
    static func isTemplate(_ unit: String) -> Bool {
        guard let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: ".") else { return false }
        return unit.index(after: at) == dot
    }

    /// `name.type` with one of systemd's ``unitTypes`` as its suffix, as systemd spells unit names.
    static func isUnitName(_ unit: String) -> Bool {
        guard (shortestUnitName...255).contains(unit.utf8.count), let dot = unit.lastIndex(of: "."), dot != unit.startIndex,
            unitTypes.contains(unit[unit.index(after: dot)...])
        else { return false }
        return unit.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ":", "-", "_", ".", "\\", "@": true
            default: false
            }
        }
    }

    // MARK: - Spelling

    /// `secret_name_prefix` -> `secretNamePrefix`, the task's spelling.
    static func camelCase(_ key: String) -> String {
        var out = ""
        var upper = false
        for character in key {
            if character == "_" {
                upper = true
            } else {
                out.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return out
    }

    /// The task decoder's messages, in the configuration file's spelling: `connector.credentials.roleArn`
    /// becomes `credentials.role_arn`.
    static func snakeCase(message: String) -> String {
        var text = message.replacing("connector.", with: "")
        // Longest first, so `accessKeyIdRef` is not taken for `accessKeyId` plus `Ref`.
        for key in (keys + credentialKeys).sorted(by: { $0.count > $1.count }) where key.contains("_") {
            text = text.replacing(camelCase(key), with: key)
        }
        return text
    }
}
