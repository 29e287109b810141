import SecretsManager

/// A task's `params` object as an operation decodes it: typed, path-aware fields (`TaskObject`)
/// and the connector's secret name prefix.
struct OperationParams {
    let object: TaskObject
    /// The connector's `secretNamePrefix`, which names are relative to.
    let prefix: String

    /// `params.name`, resolved against the prefix; `name#key` only where `allowJSONKey`, a
    /// managed secret's name (`rds!db-...`) only where `allowManaged` (the operations that read).
    func secret(allowJSONKey: Bool = false, allowManaged: Bool = false) throws(TaskProblem) -> SecretReference {
        let reference = try object.string("name")
        do {
            return try SecretReference(
                parsing: reference, prefix: prefix, allowJSONKey: allowJSONKey, allowManaged: allowManaged)
        } catch {
            throw .secretName("params.name: \(error.message)")
        }
    }

    func optionalString(_ key: String) throws(TaskProblem) -> String? {
        try object.optionalString(key)
    }

    func optionalString(_ key: String, length: ClosedRange<Int>) throws(TaskProblem) -> String? {
        try object.optionalString(key, length: length)
    }

    func optionalInt(_ key: String, range: ClosedRange<Int>) throws(TaskProblem) -> Int? {
        try object.optionalInt(key, range: range)
    }

    func optionalBool(_ key: String) throws(TaskProblem) -> Bool? {
        try object.optionalBool(key)
    }
}
