import FoundationEssentials
import DelegateClient
internal import TOMLKit

extension CredentialMapping {
    /// The keys of a `[[credential]]` entry, in the order of the spec.
    static let keys = ["unit", "id", "connector", "secret", "version_stage", "version_id"]

    /// Validates the `[[credential]]` array of tables. Whether each entry's connector exists is
    /// checked by ``check(_:against:path:)`` once every connector (drop-ins too) is loaded.
    ///
    /// - Parameter path: the configuration file, named in every error with the entry and the key.
    static func loadAll(_ value: any TOMLValueConvertible, path: String?) throws(ConfigurationError)
        -> [CredentialMapping]
    {
        let file = path.map { $0 + " " } ?? ""
        guard value.type == .array, let array = value.array else {
            throw ConfigurationError(
                key: file + "credential", reason: "must be an array of tables [[credential]], not a single value")
        }
        var mappings: [CredentialMapping] = []
        /// Each (unit, id) pair's entry index: a fleet's thousands of entries are checked once
        /// each, not against every entry before them.
        var seen: [String: Int] = [:]
        for (index, element) in array.enumerated() {
            let origin = file + origin(entry: index)
            guard element.type == .table, let table = element.table else {
                throw ConfigurationError(key: origin, reason: "must be a table of unit, id, connector, secret")
            }
            let mapping = try load(table, origin: origin)
            // (A unit name holds no "/", so unit and id joined by it name one pair.)
            if let first = seen.updateValue(mappings.count, forKey: mapping.unit + "/" + mapping.id) {
                throw ConfigurationError(
                    key: origin,
                    reason: "maps unit \(mapping.unit) credential \(mapping.id) again (already entry \(first + 1))")
            }
            mappings.append(mapping)
        }
        return mappings
    }

    /// The most bytes of unit name and credential id together that systemd's request address can
    /// hold: 107 (its limit for a socket name) less "@", 16 hex digits of its random number,
    /// "/unit/" and "/".
    static let maxUnitAndIDBytes = 107 - 1 - 16 - "/unit/".utf8.count - 1

    /// `[[credential]] entry N`, how messages name an entry (counting from 1, in file order).
    static func origin(entry index: Int) -> String { "[[credential]] entry \(index + 1)" }

    private static func load(_ table: TOMLTable, origin: String) throws(ConfigurationError) -> CredentialMapping {
        func error(_ key: String, _ reason: String) -> ConfigurationError {
            ConfigurationError(key: "\(origin) \(key)", reason: reason)
        }
        for key in table.keys.sorted() where !keys.contains(key) {
            throw error(
                TaskObject.shownUnknownKey(key, as: "key"),
                "unknown key; a [[credential]] entry takes " + keys.joined(separator: ", "))
        }
        func string(_ key: String) throws(ConfigurationError) -> String? {
            guard let value = table[key] else { return nil }
            guard value.type == .string, let string = value.string, !string.isEmpty else {
                throw error(key, "must be a non-empty string")
            }
            return string
        }
        guard let unit = try string("unit") else { throw error("unit", "is required") }
        guard unit == anyUnit || NamedConnector.isUnitName(unit) else {
            throw error("unit", "\(DelegateConfiguration.quoted(unit)) is not a systemd unit name (or \"*\")")
        }
        if NamedConnector.isTemplate(unit) {
            throw error(
                "unit",
                "\(unit) is a template; systemd asks for its instances' credentials by their own names (name@instance.service)"
            )
        }
        guard let id = try string("id") else { throw error("id", "is required") }
        guard isValidID(id) else {
            throw error(
                "id",
                "\(DelegateConfiguration.quoted(id)) is not a LoadCredential= id (1-255 printable ASCII characters, "
                    + "no \"/\" or \":\", not . or ..)")
        }
        // systemd binds "@<random hex>/unit/<unit>/<id>" and refuses a name over 107 bytes
        // (sockaddr_un, no trailing NUL) with EINVAL before it connects: the unit fails to start
        // with "Failed to set up credentials: Invalid argument" and the delegate never hears of it.
        let addressRoom = maxUnitAndIDBytes - (unit == anyUnit ? NamedConnector.shortestUnitName : unit.utf8.count)
        guard id.utf8.count <= addressRoom else {
            throw error(
                "id",
                "\(DelegateConfiguration.quoted(id)) is too long for \(unit == anyUnit ? "any unit" : "unit \(unit)"): "
                    + "systemd's request address holds at most \(maxUnitAndIDBytes) bytes of unit name and id together, "
                    + "so systemd could never ask for it")
        }
        guard let connector = try string("connector") else { throw error("connector", "is required") }
        guard let secret = try string("secret") else { throw error("secret", "is required") }
        var version = SecretFetcher.Version.current
        switch (try string("version_stage"), try string("version_id")) {
        case (.some, .some): throw error("version_id", "cannot be set together with version_stage")
        case (.some(let stage), nil): version = .stage(stage)
        case (nil, .some(let versionID)): version = .id(versionID)
        case (nil, nil): break
        }
        return CredentialMapping(unit: unit, id: id, connector: connector, secret: secret, version: version)
    }

    /// Checks each entry against the connectors once all of them (drop-ins too) are loaded, as
    /// the request would: the connector exists, serves `getSecretValue`, admits the unit when it
    /// restricts its principals (a `*` entry: some unit), and the read it asks for is a valid
    /// task (the secret's name under the connector's prefix, the version's length). An entry that
    /// could only ever be refused is a configuration error, not a unit failing at its start.
    static func check(
        _ mappings: [CredentialMapping], against connectors: [String: NamedConnector], path: String?
    ) throws(ConfigurationError) {
        for (index, mapping) in mappings.enumerated() {
            let origin = (path.map { $0 + " " } ?? "") + origin(entry: index)
            func problem(_ key: String, _ reason: String) -> ConfigurationError {
                ConfigurationError(key: "\(origin) \(key)", reason: reason)
            }
            guard let named = NamedConnector.configured(mapping.connector, in: connectors) else {
                throw problem(
                    "connector",
                    "\(DelegateConfiguration.quoted(mapping.connector)) is not a configured connector"
                        + (connectors.isEmpty
                            ? " (there are none)" : "; they are " + connectors.keys.sorted().joined(separator: ", ")))
            }
            let policy = named.policy
            // A connector from a drop-in is named with its file: the fix may be there.
            let declared = named.isDropIn ? " (\(named.origin))" : ""
            if let operations = policy.operations, !operations.contains(.getSecretValue) {
                throw problem(
                    "connector",
                    "connector \(named.id)\(declared) does not allow getSecretValue, which a credential is read with; "
                        + "it allows "
                        + (operations.isEmpty ? "no operation" : operations.map(\.rawValue).joined(separator: ", ")))
            }
            if policy.restrictsPrincipals {
                if mapping.unit == anyUnit, policy.allowedUnits.isEmpty {
                    throw problem(
                        "unit",
                        "\"*\" is served through connector \(named.id)\(declared), whose allowed_units admits no unit")
                }
                if mapping.unit != anyUnit, !policy.lists(unit: mapping.unit) {
                    throw problem(
                        "unit",
                        "\(mapping.unit) is not in the allowed_units of connector \(named.id)\(declared)"
                            + (policy.allowedUnits.isEmpty
                                ? "; it has none" : ": " + policy.allowedUnits.joined(separator: ", ")))
                }
            }
            let line = SecretFetcher.task(
                id: "credential-check", connector: mapping.connector, name: mapping.secret, version: mapping.version)
            do {
                _ = try DelegateTask.decode(Data(line), defaultID: nil, connectors: connectors)
            } catch {
                let key =
                    switch mapping.version {
                    case .stage where error.message.hasPrefix("params.versionStage"): "version_stage"
                    case .id where error.message.hasPrefix("params.versionId"): "version_id"
                    default: "secret"
                    }
                let reason =
                    error.message.hasPrefix("params.name: ") ? String(error.message.dropFirst(13)) : error.message
                throw problem(key, "not a valid read through connector \(named.id)\(declared): \(reason)")
            }
        }
    }
}
