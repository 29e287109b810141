import JSON
import SafeText

/// A problem found while decoding, before the task's context (id, operation, connector) is
/// attached to make it a `TaskRejection`.
struct TaskProblem: Error {
    let code: TaskFailure.Code
    let message: String

    static func invalid(_ message: String) -> TaskProblem {
        TaskProblem(code: .invalidTask, message: message)
    }

    static func secretName(_ message: String) -> TaskProblem {
        TaskProblem(code: .invalidSecretName, message: message)
    }
}

/// Typed, path-aware access to one JSON object of a task. Messages name the field by its full
/// path (`connector.credentials.roleArn`) and never quote its value.
struct TaskObject {
    /// The dotted path of the object holding this one (`""` at the top) and this one's key in it.
    /// The whole path is put together only for a message: every task has three nested objects,
    /// and a path such as `connector.credentials` is a string allocation.
    private let parentPath: String
    private let key: String
    let fields: JSONObject
    /// The operation whose params these are, named in "is required" messages.
    var requiredFor: String?

    init(path: String, fields: JSONObject, requiredFor: String? = nil) {
        self.parentPath = ""
        self.key = path
        self.fields = fields
        self.requiredFor = requiredFor
    }

    private init(parentPath: String, key: String, fields: JSONObject) {
        self.parentPath = parentPath
        self.key = key
        self.fields = fields
    }

    /// Where this object is in the task, e.g. `connector.credentials`; `""` for the task itself.
    var path: String { parentPath.isEmpty ? key : parentPath + "." + key }

    func label(_ key: String) -> String {
        let path = path
        return path.isEmpty ? key : path + "." + key
    }

    func missing(_ key: String) -> TaskProblem {
        .invalid("\(label(key)) is required\(requiredFor.map { " for \($0)" } ?? "")")
    }

    func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> TaskProblem {
        .invalid("\(label(key)) must be \(expected), not \(value.kindDescription)")
    }

    /// A null value counts as absent.
    func optionalString(_ key: String) throws(TaskProblem) -> String? {
        do {
            return try JSONValue.optionalString(fields[key])
        } catch {
            throw mismatch(key, "a string", error)
        }
    }

    func string(_ key: String) throws(TaskProblem) -> String {
        guard let string = try optionalString(key) else { throw missing(key) }
        return string
    }

    /// A string of bounded length in characters as AWS counts them (Unicode code points, so an
    /// accent that combines with a letter counts apart); the value is never quoted.
    func optionalString(_ key: String, length: ClosedRange<Int>) throws(TaskProblem) -> String? {
        guard let string = try optionalString(key) else { return nil }
        let count = string.unicodeScalars.count
        guard length.contains(count) else {
            throw .invalid(
                length.lowerBound == length.upperBound
                    ? "\(label(key)) must be \(length.lowerBound) characters long"
                    : "\(label(key)) must be \(length.lowerBound)-\(length.upperBound) characters long, not \(count)")
        }
        return string
    }

    func optionalInt(_ key: String, range: ClosedRange<Int>) throws(TaskProblem) -> Int? {
        let integer: Int
        let outOfRange = { (shown: String) -> TaskProblem in
            .invalid("\(label(key)) must be between \(range.lowerBound) and \(range.upperBound), not \(shown)")
        }
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.integer(let value)):
            guard let fits = Int(exactly: value) else { throw outOfRange("\(value)") }
            integer = fits
        case .some(.number(let value)) where value.isFinite && value == value.rounded():
            // A whole number past what is taken exactly (1e19, twenty digits) is out of range,
            // not "not whole"; said with the range where it has one below that.
            guard abs(value) < 1e15 else {
                let bounded = range.lowerBound > -1_000_000_000_000_000 && range.upperBound < 1_000_000_000_000_000
                throw bounded
                    ? outOfRange("\(value)") : .invalid("\(label(key)) must be a whole number of at most 15 digits, not \(value)")
            }
            integer = Int(value)
        case .some(.number): throw .invalid("\(label(key)) must be a whole number")
        case .some(let other): throw wrongType(key, "a whole number", other)
        }
        guard range.contains(integer) else { throw outOfRange("\(integer)") }
        return integer
    }

    func optionalBool(_ key: String) throws(TaskProblem) -> Bool? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.bool(let bool)): return bool
        case .some(let other): throw wrongType(key, "true or false", other)
        }
    }

    func optionalStrings(_ key: String) throws(TaskProblem) -> [String]? {
        do {
            return try JSONValue.optionalStrings(fields[key])
        } catch {
            throw mismatch(key, "an array of strings", error)
        }
    }

    /// The problem for a member read as `expected` that is not.
    private func mismatch(_ key: String, _ expected: String, _ mismatch: JSONValue.Mismatch) -> TaskProblem {
        switch mismatch {
        case .value(let other): wrongType(key, expected, other)
        case .element(let index, let element):
            .invalid("\(label(key))[\(index)] must be a string, not \(element.kindDescription)")
        }
    }

    func optionalObject(_ key: String) throws(TaskProblem) -> TaskObject? {
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.object(let object)): return TaskObject(parentPath: path, key: key, fields: object)
        case .some(let other): throw wrongType(key, "an object", other)
        }
    }

    func object(_ key: String) throws(TaskProblem) -> TaskObject {
        guard let object = try optionalObject(key) else { throw missing(key) }
        return object
    }

    /// Refuses fields that are not `allowed`: a typo must not silently change what a task does.
    /// Fields that look like plaintext secrets get a message saying to use a ref instead.
    /// (`allowed` is a short list, compared key by key: hashing each key cost more.)
    func refuseUnknown(_ allowed: [String], what: String, checkPlaintextSecrets: Bool) throws(TaskProblem) {
        // Almost every object has no unknown field: no sorted copy of its keys for those.
        guard !fields.allSatisfy({ Self.names(allowed, contain: $0.key) }) else { return }
        for key in fields.keys.sorted() where !Self.names(allowed, contain: key) {
            let named = label(Self.shownUnknownKey(key))
            if checkPlaintextSecrets, let hint = Self.plaintextSecretHint(key) {
                throw .invalid(
                    "\(named) looks like a plaintext secret; secrets are never accepted inside a "
                        + "task: store it in a credential file and use \(hint) to name it")
            }
            throw .invalid("\(named) is not a field of \(what)")
        }
    }

    /// Whether `names` holds `key`, lengths compared first: most names differ in length, and
    /// `==` on two different strings goes through the runtime's comparison.
    private static func names(_ names: [String], contain key: String) -> Bool {
        let length = key.utf8.count
        return names.contains { $0.utf8.count == length && $0 == key }
    }

    /// The ref field to suggest if `key` looks like a plain secret (`secretAccessKey`,
    /// `sessionToken`, `aws_secret_access_key`, `password`, ...), else nil.
    static func plaintextSecretHint(_ key: String) -> String? {
        let normalized = key.lowercased().filter { $0 != "_" && $0 != "-" }
        if normalized.hasSuffix("ref") { return nil }
        if normalized.contains("token") { return "sessionTokenRef" }
        for marker in ["secret", "password", "privatekey"] where normalized.contains(marker) {
            return "secretAccessKeyRef"
        }
        return nil
    }

    /// A field name no task may give, for a message: `quote`d (``quotedKey(_:)``) when at most 32
    /// characters long, else only its length (`<a field of 62 characters>`, `noun` naming it). A
    /// long name may hold a secret itself (a credentials file's line pasted as a key, in `params`
    /// as anywhere); the fields a task may give are shorter.
    static func shownUnknownKey(
        _ key: String, as noun: String = "field", quote: (String) -> String = quotedKey
    ) -> String {
        let length = key.unicodeScalars.count
        return length <= 32 ? quote(key) : "<a \(noun) of \(length) characters>"
    }

    /// A field name for a message: cut after 64 characters (`...` marks the cut), its control
    /// characters, line and paragraph separators and bidirectional overrides shown as `\u{..}`.
    static func quotedKey(_ key: String) -> String {
        let scalars = key.unicodeScalars
        guard scalars.count > 64 else { return ShownText.escaped(key) }
        return ShownText.escaped(String(String.UnicodeScalarView(scalars.prefix(64)))) + "..."
    }
}
