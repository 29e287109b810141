/// One key of the configuration file: where it lives, what type it takes and which field it
/// sets, whether a reload applies it and what a valid value is.
///
/// `ConfigurationKey.all` (ConfigurationKey+Table.swift) is the one list that spells the keys of
/// the fixed sections ([delegate] to [sqs]): parsing the file, the environment overrides,
/// validation and its messages, `renderTOML()` and a reload's classification all iterate over
/// it, so they cannot drift apart, and a key not in it is refused. `[connectors.<id>]` and
/// `[[credential]]` are tables of their own, with their own key lists (`NamedConnector+Loading`,
/// `CredentialMapping.keys`).
struct ConfigurationKey: Sendable {
    enum Kind: Sendable {
        case string(WritableKeyPath<DelegateConfiguration, String> & Sendable)
        case stringList(WritableKeyPath<DelegateConfiguration, [String]> & Sendable)
        case bool(WritableKeyPath<DelegateConfiguration, Bool> & Sendable)
        case integer(WritableKeyPath<DelegateConfiguration, Int> & Sendable)
        case seconds(WritableKeyPath<DelegateConfiguration, Double> & Sendable)
        case identitySources
    }

    let section: String
    let name: String
    let kind: Kind

    /// Whether a reload (SIGHUP) applies a new value. The others name what the running daemon is
    /// (its claim directory, its spool, its listening sockets) and keep their value until a restart.
    let appliesOnReload: Bool

    /// A list of users or groups, whose entries may also be numeric ids (`socket_allowed_users = [1001]`).
    var acceptsNumericIDs = false

    /// Why the key's value in a configuration is not valid, or nil (`validate()`).
    let problem: @Sendable (DelegateConfiguration) -> String?

    /// `[section] name`, the spelling used in every message.
    var label: String { "[\(section)] \(name)" }

    /// `section.name`, the spelling of reload messages and their metadata.
    var dottedName: String { "\(section).\(name)" }

    /// `SECRETS_DELEGATE_<SECTION>_<KEY>`.
    var environmentName: String {
        "SECRETS_DELEGATE_" + section.uppercased() + "_" + name.uppercased()
    }

    /// Every section, in the order of the spec and of `renderTOML()`: the sections of `all`.
    static let sections: [String] = all.reduce(into: []) { sections, key in
        if !sections.contains(key.section) { sections.append(key.section) }
    }

    static func find(section: String, name: String) -> ConfigurationKey? {
        all.first { $0.section == section && $0.name == name }
    }
}

/// A value read from the file or the environment, before it is checked against its key's type.
enum RawConfigurationValue {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([RawConfigurationValue])
    case other(typeName: String)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .double(let value) where value.isNaN: "nan (no number)"
        case .double(let value) where !value.isFinite: "\(value > 0 ? "inf" : "-inf") (no finite number)"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .other(let typeName): typeName
        }
    }
}
