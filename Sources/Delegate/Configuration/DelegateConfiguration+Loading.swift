import FileNames
import FoundationEssentials
import Glibc
import DelegateClient
import SafeText
internal import TOMLKit
import AWSCredentials
import AWSCore

extension DelegateConfiguration {
    /// Builds the effective configuration: defaults, then the TOML text, then
    /// `SECRETS_DELEGATE_<SECTION>_<KEY>` overrides, then validation of the result.
    ///
    /// - Parameters:
    ///   - tomlText: the file's contents, or nil when there is no file (defaults apply).
    ///   - environment: the process environment (injected so tests never touch the real one).
    ///     Every variable starting with `SECRETS_DELEGATE_` is taken as an override; one that
    ///     names no key is an error.
    ///   - hostName: the default delegate name.
    ///   - path: the file the text came from, named in connector errors; its directory's
    ///     `connectors.d` holds connector drop-ins unless `[delegate] connectors_dir` says otherwise.
    ///     Nil (a test's text): only an explicit `connectors_dir` is read.
    public static func load(
        tomlText: String?, environment: [String: String], hostName: String, path: String? = nil
    ) throws(ConfigurationError) -> DelegateConfiguration {
        var configuration = DelegateConfiguration(hostName: hostName)
        var origins: [String: String] = [:]
        // The keys the file set: a bad value of one of them is the file's (unless a variable
        // overrode it); another is a default's (the host name as the delegate's name).
        var fileKeys: Set<String> = []
        if let tomlText {
            do {
                fileKeys = try configuration.apply(tomlText: tomlText, path: path)
            } catch {
                throw path.map(error.naming(file:)) ?? error
            }
        }
        try configuration.apply(environment: environment, origins: &origins)
        configuration.overriddenFileKeys = origins.filter { fileKeys.contains($0.key) }
        // An error about a key says where its value came from: the variable that set it, else
        // the file (a default's, such as the host name as the delegate's name, says neither).
        let attributed = { [origins, fileKeys] (error: ConfigurationError) -> ConfigurationError in
            guard error.origin == nil, let key = error.key else { return error }
            if let variable = origins[key] {
                return ConfigurationError(key: key, reason: error.reason, origin: variable)
            }
            guard let path, fileKeys.contains(key) else { return error }
            return error.naming(file: path)
        }
        do {
            try configuration.validate(origins: origins)
        } catch {
            throw attributed(error)
        }
        let directory =
            configuration.delegate.connectorsDir.isEmpty
            ? path.map { Self.directory(of: $0).appendingPathComponent("connectors.d") }
            : configuration.delegate.connectorsDir
        if let directory {
            do {
                try configuration.loadConnectorDropIns(directory: directory)
            } catch {
                throw attributed(error)  // a drop-in's own errors name it already
            }
        }
        do {
            try configuration.checkConnectorRegions(origins: origins)
        } catch {
            throw attributed(error)
        }
        try CredentialMapping.check(
            configuration.credentialMappings, against: configuration.connectors, path: path)
        return configuration
    }

    /// Reads the file at `path` and loads it as `load(tomlText:environment:hostName:)` does.
    ///
    /// - Parameter requireFile: when false a missing file means "all defaults" (the packaged
    ///   default path); when true (an explicit `--config`) a missing file is an error.
    public static func load(
        path: String, requireFile: Bool, environment: [String: String], hostName: String
    ) throws(ConfigurationError) -> DelegateConfiguration {
        switch ConfigurationFile.read(path) {
        case .missing:
            if requireFile {
                throw ConfigurationError(key: nil, reason: "configuration file \(path) does not exist")
            }
            return try load(tomlText: nil, environment: environment, hostName: hostName, path: path)
        case .unusable(let problem):
            throw ConfigurationError(key: nil, reason: "configuration file \(path) \(problem)")
        case .text(let text):
            return try load(tomlText: text, environment: environment, hostName: hostName, path: path)
        }
    }

    /// The directory `path` is in: the path without its last component, repeated and trailing
    /// slashes dropped (as `NSString.deletingLastPathComponent` gave it); `/` for a file in the
    /// root, and `.` for a bare file name (where `NSString` gave the empty string, which put the
    /// drop-ins of `--config delegate.toml` at `/connectors.d`).
    static func directory(of path: String) -> String {
        let components = path.split(separator: "/").dropLast()
        let joined = components.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// This machine's host name (`gethostname(2)`, not a DNS lookup), the default delegate name.
    public static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - TOML

    /// Parses TOML text: `TOMLSyntaxCheck` first, then TOMLKit.
    static func parse(tomlText: String) throws(ConfigurationError) -> TOMLTable {
        // toml++ (under TOMLKit) aborts the process on some malformed input rather than
        // reporting it; only text this check accepts is handed to it.
        try TOMLSyntaxCheck.check(tomlText)
        do {
            return try TOMLTable(string: tomlText)
        } catch let error as TOMLParseError {
            throw ConfigurationError(
                key: nil,
                reason: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): "
                    + TOMLParseMessage.shown(error, in: tomlText))
        } catch {
            throw ConfigurationError(key: nil, reason: "the file is not valid TOML")
        }
    }

    /// - Returns: the labels (`[section] key`) of the keys the text set.
    private mutating func apply(tomlText: String, path: String?) throws(ConfigurationError) -> Set<String> {
        let table = try Self.parse(tomlText: tomlText)
        var labels: Set<String> = []
        for sectionName in table.keys.sorted() {
            guard let sectionValue = table[sectionName] else { continue }
            if sectionName == "connectors" {
                try applyConnectors(sectionValue, path: path)
                continue
            }
            if sectionName == "credential" {
                credentialMappings = try CredentialMapping.loadAll(sectionValue, path: path)
                continue
            }
            // `[[name]]`: an array of tables, which only `[[credential]]` is.
            let isArrayOfTables = sectionValue.array.map { !$0.isEmpty && $0.allSatisfy { $0.table != nil } } ?? false
            guard ConfigurationKey.sections.contains(sectionName) else {
                // Named as written only escaped and cut (a quoted key may hold anything).
                let shown = TaskObject.shownUnknownKey(sectionName, as: "section")
                let sections =
                    "the sections are "
                    + (ConfigurationKey.sections + ["connectors.<id>", "[credential]"]).joined(separator: ", ")
                if sectionValue.type == .table || isArrayOfTables {
                    throw ConfigurationError(
                        key: isArrayOfTables ? "[[\(shown)]]" : "[\(shown)]", reason: "unknown section; " + sections)
                }
                throw ConfigurationError(key: shown, reason: "keys must be inside a section ([delegate], [queue], ...)")
            }
            guard let section = sectionValue.table else {
                throw ConfigurationError(
                    key: isArrayOfTables ? "[[\(sectionName)]]" : "[\(sectionName)]",
                    reason: isArrayOfTables
                        ? "is written once, as [\(sectionName)] (only [[credential]] is a list of tables)"
                        : "must be a table, not a single value")
            }
            for keyName in section.keys.sorted() {
                guard let value = section[keyName] else { continue }
                guard let key = ConfigurationKey.find(section: sectionName, name: keyName) else {
                    let known = ConfigurationKey.all.filter { $0.section == sectionName }.map(\.name)
                    throw ConfigurationError(
                        key: "[\(sectionName)] \(TaskObject.shownUnknownKey(keyName, as: "key"))",
                        reason: "unknown key; [\(sectionName)] takes " + known.joined(separator: ", "))
                }
                try set(key, to: Self.raw(value), origin: nil)
                labels.insert(key.label)
            }
        }
        return labels
    }

    /// `[connectors.<id>]` tables.
    private mutating func applyConnectors(_ value: any TOMLValueConvertible, path: String?) throws(ConfigurationError) {
        guard let tables = value.table else {
            throw ConfigurationError(key: "connectors", reason: "must be tables [connectors.<id>], not a single value")
        }
        for id in tables.keys.sorted() {
            // An id that is none (a secret pasted as a table name, say) is named by its length.
            let shownID = DelegateTask.isValidID(id) ? id : TaskObject.shownUnknownKey(id, as: "connector id")
            let origin = (path.map { $0 + " " } ?? "") + "[connectors.\(shownID)]"
            guard let table = tables[id]?.table else {
                throw ConfigurationError(key: origin, reason: "must be a table of the connector's keys")
            }
            connectors[id] = try NamedConnector.load(id: id, table: table, origin: origin)
        }
    }

    /// `<directory>/<id>.toml`: one connector each, its keys at the top level. A missing directory
    /// means no drop-ins; files not ending in `.toml` and hidden files are ignored (the others
    /// named in ``passedOverDropIns``).
    private mutating func loadConnectorDropIns(directory: String) throws(ConfigurationError) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let number = errno
            // No directory means no drop-ins; a link to nothing would leave them out unsaid, and
            // one that cannot be reached (a loop of links, a folder on the way the delegate may
            // not search) is not missing: its drop-ins would be left out as silently.
            guard number == ENOENT else {
                throw ConfigurationError(
                    key: "[delegate] connectors_dir",
                    reason: "\(directory) cannot be examined: \(RegularFile.describe(number))")
            }
            guard ConfigurationFile.isDanglingLink(directory) else {
                // The default one (beside the file) is optional; one the file names is expected.
                if !delegate.connectorsDir.isEmpty { missingConnectorsDirectory = directory }
                return
            }
            throw ConfigurationError(
                key: "[delegate] connectors_dir", reason: "\(directory) is a symbolic link to nothing")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ConfigurationError(key: "[delegate] connectors_dir", reason: "\(directory) is not a directory")
        }
        // Whoever may write the directory may add a connector (or a link to another file as one).
        if let problem = ConfigurationFile.directoryProblem(directory) {
            throw ConfigurationError(key: "[delegate] connectors_dir", reason: "\(directory) \(problem)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            // Why, as every other file error here says: a directory root may list and this user
            // may not (0700) passes root's check-config and fails the daemon's start.
            let why =
                opendir(directory).map {
                    closedir($0); return ""
                } ?? ": \(RegularFile.describe(errno))"
            throw ConfigurationError(key: "[delegate] connectors_dir", reason: "cannot list \(directory)\(why)")
        }
        let passedOver = names.sorted().filter { name in
            !FileNameBytes.isHidden(name) && !FileNameBytes.endsWith(name, ".toml") && !Self.isLeftover(name)
        }
        passedOverDropIns = passedOver.isEmpty ? nil : PassedOverDropIns(directory: directory, names: passedOver)
        // By bytes, as `ls` shows them: a name whose dot joins the character before still ends in
        // .toml, and one starting with a dot and a combining mark is hidden.
        for name in names.sorted() where FileNameBytes.endsWith(name, ".toml") && !FileNameBytes.isHidden(name) {
            let path = directory + "/" + name
            // A name that is not UTF-8 is listed with U+FFFD in place of its bad bytes, a name no
            // file has: read, it would be taken for gone and its connector left out silently.
            guard !name.unicodeScalars.contains("\u{FFFD}") else {
                throw ConfigurationError(
                    key: path,
                    reason: "a drop-in's name must be a connector id (A-Za-z0-9._-) and .toml; this one is not UTF-8 "
                        + "(its bad bytes shown as \u{FFFD})")
            }
            let id = FileNameBytes.trimming(name, suffixBytes: ".toml".utf8.count)
            let text: String
            switch ConfigurationFile.read(path) {
            case .missing: continue  // gone since the listing
            case .unusable(let problem): throw ConfigurationError(key: path, reason: problem)
            case .text(let read): text = read
            }
            let table: TOMLTable
            do {
                table = try Self.parse(tomlText: text)
            } catch {
                throw ConfigurationError(key: path, reason: error.reason)
            }
            guard connectors[id] == nil else {
                throw ConfigurationError(
                    key: path,
                    reason: "connector \(id) is also declared as [connectors.\(id)] in the configuration file")
            }
            connectors[id] = try NamedConnector.load(id: id, table: table, origin: path, isDropIn: true)
        }
    }

    private static func raw(_ value: any TOMLValueConvertible) -> RawConfigurationValue {
        switch value.type {
        case .string: return value.string.map(RawConfigurationValue.string) ?? .other(typeName: "a string")
        case .int: return value.int.map(RawConfigurationValue.integer) ?? .other(typeName: "an integer")
        case .double: return value.double.map(RawConfigurationValue.double) ?? .other(typeName: "a number")
        case .bool: return value.bool.map(RawConfigurationValue.bool) ?? .other(typeName: "a boolean")
        case .array:
            guard let array = value.array else { return .other(typeName: "an array") }
            return .array(array.map { raw($0) })
        case .table: return .other(typeName: "a table")
        case .date, .time, .dateTime: return .other(typeName: "a date or time")
        }
    }

    // MARK: - Environment

    static let environmentPrefix = "SECRETS_DELEGATE_"

    /// A variable meant for the configuration but spelt otherwise: the prefix in another case, or
    /// after the daemon's binary, `SECRETS_DELEGATED_`. Refused as a wrong section or key is:
    /// ignored, its setting would silently not apply.
    static func misspeltPrefix(_ variable: String) -> Bool {
        let upper = variable.uppercased()
        return (upper.hasPrefix(environmentPrefix) && !variable.hasPrefix(environmentPrefix))
            || upper.hasPrefix("SECRETS_DELEGATED_")
    }

    private mutating func apply(
        environment: [String: String], origins: inout [String: String]
    ) throws(ConfigurationError) {
        if let variable = environment.keys.sorted().first(where: Self.misspeltPrefix) {
            throw ConfigurationError(
                key: nil,
                reason: "is not read: configuration variables are named \(Self.environmentPrefix)<SECTION>_<KEY>, "
                    + "in upper case (\(Self.environmentPrefix)DELEGATE_TAGS, say)",
                origin: variable)
        }
        for variable in environment.keys.sorted() where variable.hasPrefix(Self.environmentPrefix) {
            guard let text = environment[variable] else { continue }
            let rest = variable.dropFirst(Self.environmentPrefix.count)
            let parts = rest.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
            let sectionName = parts[0].lowercased()
            guard ConfigurationKey.sections.contains(sectionName), parts[0] == parts[0].uppercased() else {
                throw ConfigurationError(
                    key: nil,
                    reason: "names no configuration section; the sections are "
                        + ConfigurationKey.sections.map { $0.uppercased() }.joined(separator: ", "),
                    origin: variable)
            }
            let keyPart = parts.count > 1 ? parts[1] : ""
            guard keyPart == keyPart.uppercased(),
                let key = ConfigurationKey.find(section: sectionName, name: keyPart.lowercased())
            else {
                let known = ConfigurationKey.all.filter { $0.section == sectionName }.map(\.environmentName)
                throw ConfigurationError(
                    key: nil, reason: "names no configuration key; known are " + known.joined(separator: ", "),
                    origin: variable)
            }
            try set(key, to: Self.raw(environmentText: text, for: key, variable: variable), origin: variable)
            origins[key.label] = variable
        }
    }

    /// A name an editor or a package manager leaves beside a file (`ci.toml~`, `ci.toml.dpkg-old`):
    /// not a drop-in someone meant, so not named as passed over.
    static func isLeftover(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return [
            "~", ".bak", ".old", ".orig", ".rej", ".swp", ".save", ".disabled", ".dpkg-old", ".dpkg-dist",
            ".dpkg-new", ".dpkg-tmp", ".dpkg-bak", ".ucf-old", ".ucf-dist", ".ucf-new",
        ].contains { lowered.hasSuffix($0) }
    }

    /// Environment values are text: lists are comma-separated, booleans true/false/1/0/yes/no.
    /// Line ends at the end are no part of a value: an `EnvironmentFile=` written on Windows keeps
    /// each line's CR, and a value set from `echo` or a file may keep its LF (a queue URL or path
    /// ending in one was refused, its quote cut before the escape that showed it).
    private static func raw(
        environmentText value: String, for key: ConfigurationKey, variable: String
    ) throws(ConfigurationError) -> RawConfigurationValue {
        var line = Substring(value)
        while let last = line.unicodeScalars.last, last == "\n" || last == "\r" { line = line.dropLast() }
        let text = String(line)
        let trimmed = text.trimmingSpaces()
        switch key.kind {
        case .string:
            return .string(text)
        case .stringList, .identitySources:
            if trimmed.isEmpty { return .array([]) }
            // `["aws","prod"]` would be the entries `["aws"` and `"prod"]`: no tag, user or queue.
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                throw ConfigurationError(
                    key: key.label,
                    reason:
                        "is a list in TOML's spelling; in the environment give its entries comma-separated (aws,prod)",
                    origin: variable)
            }
            // "alice, bob": the spaces after the commas are not part of the names.
            return .array(
                text.split(separator: ",", omittingEmptySubsequences: false).map {
                    .string(String($0).trimmingSpaces())
                })
        case .bool:
            switch trimmed.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default:
                throw ConfigurationError(
                    key: key.label, reason: "must be true, false, 1, 0, yes or no, not \(quoted(text))",
                    origin: variable)
            }
        case .integer:
            guard let value = Int(trimmed) else {
                throw ConfigurationError(
                    key: key.label, reason: "must be a whole number, not \(quoted(text))", origin: variable)
            }
            return .integer(value)
        case .seconds:
            if let value = Int(trimmed) { return .integer(value) }
            guard let value = Self.decimalNumber(trimmed), value.isFinite else {
                throw ConfigurationError(
                    key: key.label, reason: "must be a number of seconds, not \(quoted(text))", origin: variable)
            }
            return .double(value)
        }
    }

    /// `text` read as a decimal number (`1.5`, `2e3`), as TOML and people write them: nil for
    /// anything else, which `Double(_:)` alone would also read (`0x10`, `0x1p-2`, `inf`, `nan`).
    public static func decimalNumber(_ text: String) -> Double? {
        guard
            text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || ".eE+-".utf8.contains($0) })
        else { return nil }
        return Double(text)
    }

    // MARK: - Typing

    private mutating func set(
        _ key: ConfigurationKey, to value: RawConfigurationValue, origin: String?
    ) throws(ConfigurationError) {
        func wrongType(_ expected: String) -> ConfigurationError {
            ConfigurationError(key: key.label, reason: "must be \(expected), not \(value.typeName)", origin: origin)
        }
        switch key.kind {
        case .string(let path):
            guard case .string(let string) = value else { throw wrongType("a string") }
            self[keyPath: path] = string
        case .stringList(let path):
            self[keyPath: path] = try Self.strings(
                value, key: key, origin: origin, allowIntegers: key.acceptsNumericIDs)
        case .bool(let path):
            guard case .bool(let bool) = value else { throw wrongType("true or false") }
            self[keyPath: path] = bool
        case .integer(let path):
            guard case .integer(let integer) = value else { throw wrongType("a whole number") }
            self[keyPath: path] = integer
        case .seconds(let path):
            switch value {
            case .integer(let integer): self[keyPath: path] = Double(integer)
            case .double(let double) where double.isFinite: self[keyPath: path] = double
            default: throw wrongType("a number of seconds")
            }
        case .identitySources:
            let names = try Self.strings(value, key: key, origin: origin, allowIntegers: false)
            var sources: [IdentitySource] = []
            for name in names {
                guard let source = IdentitySource(rawValue: name.trimmingSpaces()) else {
                    throw ConfigurationError(
                        key: key.label,
                        reason: "unknown identity source \(Self.quoted(name)); the sources are "
                            + IdentitySource.allCases.map(\.rawValue).joined(separator: ", "),
                        origin: origin)
                }
                guard !sources.contains(source) else {
                    throw ConfigurationError(
                        key: key.label, reason: "lists \(source.rawValue) twice", origin: origin)
                }
                sources.append(source)
            }
            identity.sources = sources
        }
    }

    /// A list of strings. Socket users and groups may also be given as numeric ids.
    private static func strings(
        _ value: RawConfigurationValue, key: ConfigurationKey, origin: String?, allowIntegers: Bool
    ) throws(ConfigurationError) -> [String] {
        guard case .array(let elements) = value else {
            throw ConfigurationError(
                key: key.label, reason: "must be an array of strings, not \(value.typeName)", origin: origin)
        }
        var strings: [String] = []
        for (index, element) in elements.enumerated() {
            switch element {
            // Trimmed as entries from the environment are: a tag " prod" would match no selector.
            case .string(let string): strings.append(string.trimmingSpaces())
            // A uid or gid: 4294967295 is -1, "no id", to the kernel.
            case .integer(let integer) where allowIntegers && (0..<Int(UInt32.max)).contains(integer):
                strings.append(String(integer))
            case .integer where allowIntegers:
                throw ConfigurationError(
                    key: key.label, reason: "entry \(index + 1) is no user or group id (0-\(UInt32.max - 1))",
                    origin: origin)
            default:
                throw ConfigurationError(
                    key: key.label, reason: "entry \(index + 1) must be a string, not \(element.typeName)",
                    origin: origin)
            }
        }
        return strings
    }

    /// A value quoted for a message, cut short and shown as ``ShownText`` shows text (control
    /// characters and bidirectional overrides escaped).
    static func quoted(_ text: String) -> String {
        ShownText.quoted(text, limit: 64)
    }
}

extension String {
    /// This directory path with `component` after one slash (`/` + `x` is `/x`, not `//x`).
    fileprivate func appendingPathComponent(_ component: String) -> String {
        hasSuffix("/") ? self + component : self + "/" + component
    }
}
