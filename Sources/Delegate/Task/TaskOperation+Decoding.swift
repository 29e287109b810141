import struct Foundation.Data
import SecretsManager

extension TaskOperation {
    /// The params each operation takes (anything else is refused as a likely typo).
    static func allowedParams(_ name: OperationName) -> Set<String> {
        switch name {
        case .createSecret: ["name", "secretString", "secretBinary", "description", "kmsKeyId", "tags"]
        case .getSecretValue: ["name", "versionId", "versionStage", "refresh"]
        case .putSecretValue: ["name", "secretString", "secretBinary", "versionStages"]
        case .updateSecret: ["name", "secretString", "secretBinary", "description", "kmsKeyId"]
        case .describeSecret: ["name"]
        case .deleteSecret: ["name", "recoveryWindowInDays", "forceDeleteWithoutRecovery"]
        case .listSecrets: ["nameFilter", "maxResults", "nextToken", "all"]
        case .listSecretVersionIds: ["name", "includeDeprecated", "maxResults", "nextToken"]
        case .getRandomPassword:
            [
                "passwordLength", "excludeCharacters", "excludeNumbers", "excludePunctuation", "excludeUppercase",
                "excludeLowercase", "includeSpace", "requireEachIncludedType",
            ]
        case .testConnection: []
        }
    }

    static func decode(
        _ name: OperationName, params rawParams: TaskObject, connector: Connector
    ) throws(TaskProblem) -> TaskOperation {
        let params = TaskObject(path: rawParams.path, fields: rawParams.fields, requiredSuffix: " for \(name.rawValue)")
        try params.refuseUnknown(allowedParams(name), what: name.rawValue, checkPlaintextSecrets: false)
        let prefix = connector.secretNamePrefix

        func secret() throws(TaskProblem) -> SecretReference {
            let reference = try params.string("name")
            do {
                return try SecretReference(parsing: reference, prefix: prefix, allowJSONKey: name == .getSecretValue)
            } catch {
                throw .secretName("params.name: \(error.message)")
            }
        }

        switch name {
        case .createSecret:
            guard let value = try secretValue(params) else {
                throw .invalid("params.secretString or params.secretBinary is required for createSecret")
            }
            return .createSecret(
                CreateSecretParams(
                    secret: try secret(), value: value, description: try description(params),
                    kmsKeyId: try params.optionalString("kmsKeyId", length: 1...2048), tags: try tags(params)))
        case .getSecretValue:
            return .getSecretValue(
                GetSecretValueParams(
                    secret: try secret(), versionId: try params.optionalString("versionId", length: 1...64),
                    versionStage: try params.optionalString("versionStage", length: 1...256),
                    refresh: try params.optionalBool("refresh") ?? false))
        case .putSecretValue:
            guard let value = try secretValue(params) else {
                throw .invalid("params.secretString or params.secretBinary is required for putSecretValue")
            }
            return .putSecretValue(
                PutSecretValueParams(secret: try secret(), value: value, versionStages: try versionStages(params)))
        case .updateSecret:
            let secret = try secret()
            let value = try secretValue(params)
            let description = try description(params)
            let kmsKeyId = try params.optionalString("kmsKeyId", length: 1...2048)
            guard value != nil || description != nil || kmsKeyId != nil else {
                throw .invalid(
                    "updateSecret needs at least one of params.secretString, params.secretBinary, "
                        + "params.description, params.kmsKeyId")
            }
            return .updateSecret(
                UpdateSecretParams(secret: secret, value: value, description: description, kmsKeyId: kmsKeyId))
        case .describeSecret:
            return .describeSecret(DescribeSecretParams(secret: try secret()))
        case .deleteSecret:
            let secret = try secret()
            let window = try params.optionalInt("recoveryWindowInDays", range: DeleteSecretParams.recoveryWindowRange)
            let force = try params.optionalBool("forceDeleteWithoutRecovery") ?? false
            let recovery: DeleteSecretParams.Recovery
            switch (window, force) {
            case (.some, true):
                throw .invalid(
                    "give either params.recoveryWindowInDays or params.forceDeleteWithoutRecovery, not both")
            case (.some(let days), false): recovery = .window(days: days)
            case (.none, true): recovery = .forceWithoutRecovery
            case (.none, false): recovery = .defaultWindow
            }
            return .deleteSecret(DeleteSecretParams(secret: secret, recovery: recovery))
        case .listSecrets:
            let filter = try params.optionalString("nameFilter")
            if let filter {
                guard (1...SecretReference.maximumNameLength).contains(filter.utf8.count),
                    filter.unicodeScalars.allSatisfy(SecretReference.isNameCharacter)
                else {
                    throw .invalid(
                        "params.nameFilter must be 1-512 characters of A-Za-z0-9/_+=.@- (it is relative to the prefix)")
                }
            }
            return .listSecrets(
                ListSecretsParams(
                    nameFilter: filter, maxResults: try params.optionalInt("maxResults", range: 1...100),
                    nextToken: try params.optionalString("nextToken", length: 1...4096),
                    all: try params.optionalBool("all") ?? false))
        case .listSecretVersionIds:
            return .listSecretVersionIds(
                ListSecretVersionIdsParams(
                    secret: try secret(), includeDeprecated: try params.optionalBool("includeDeprecated") ?? false,
                    maxResults: try params.optionalInt("maxResults", range: 1...100),
                    nextToken: try params.optionalString("nextToken", length: 1...4096)))
        case .getRandomPassword:
            return .getRandomPassword(
                GetRandomPasswordParams(
                    passwordLength: try params.optionalInt(
                        "passwordLength", range: GetRandomPasswordParams.passwordLengthRange),
                    excludeCharacters: try params.optionalString("excludeCharacters", length: 0...4096),
                    excludeNumbers: try params.optionalBool("excludeNumbers"),
                    excludePunctuation: try params.optionalBool("excludePunctuation"),
                    excludeUppercase: try params.optionalBool("excludeUppercase"),
                    excludeLowercase: try params.optionalBool("excludeLowercase"),
                    includeSpace: try params.optionalBool("includeSpace"),
                    requireEachIncludedType: try params.optionalBool("requireEachIncludedType")))
        case .testConnection:
            return .testConnection
        }
    }

    /// `secretString` or `secretBinary` (base64), at most 64 KiB. Messages never quote values.
    private static func secretValue(_ params: TaskObject) throws(TaskProblem) -> SecretValue? {
        let string = try params.optionalString("secretString")
        let base64 = try params.optionalString("secretBinary")
        let value: SecretValue
        switch (string, base64) {
        case (.some, .some):
            throw .invalid("give either params.secretString or params.secretBinary, not both")
        case (.none, .none):
            return nil
        case (.some(let string), .none):
            value = .string(string)
        case (.none, .some(let base64)):
            guard let data = Data(base64Encoded: base64) else {
                throw .invalid("params.secretBinary is not valid base64")
            }
            value = .binary(data)
        }
        guard value.byteCount <= SecretValue.maximumBytes else {
            let field = string != nil ? "params.secretString" : "params.secretBinary"
            throw .invalid(
                "\(field) is \(value.byteCount) bytes; Secrets Manager stores at most \(SecretValue.maximumBytes)")
        }
        return value
    }

    private static func description(_ params: TaskObject) throws(TaskProblem) -> String? {
        try params.optionalString("description", length: 0...2048)
    }

    private static func versionStages(_ params: TaskObject) throws(TaskProblem) -> [String]? {
        guard let stages = try params.optionalStrings("versionStages") else { return nil }
        guard (1...20).contains(stages.count) else {
            throw .invalid("params.versionStages must list 1-20 stages, not \(stages.count)")
        }
        for (index, stage) in stages.enumerated() where !(1...256).contains(stage.count) {
            throw .invalid("params.versionStages[\(index)] must be 1-256 characters long")
        }
        return stages
    }

    /// Tags as an object (`{"team": "db"}`, sorted by key) or as AWS's list
    /// (`[{"key": "team", "value": "db"}]`, also `Key`/`Value`).
    private static func tags(_ params: TaskObject) throws(TaskProblem) -> [SecretTag] {
        var tags: [SecretTag] = []
        switch params.fields["tags"] {
        case .none, .some(.null):
            return []
        case .some(.object(let object)):
            for key in object.keys.sorted() {
                guard case .string(let value) = object[key] else {
                    throw .invalid("params.tags.\(TaskObject.quotedKey(key)) must be a string")
                }
                tags.append(SecretTag(key: key, value: value))
            }
        case .some(.array(let elements)):
            for (index, element) in elements.enumerated() {
                guard case .object(let object) = element,
                    case .string(let key) = object["key"] ?? object["Key"] ?? .null,
                    case .string(let value) = object["value"] ?? object["Value"] ?? .null
                else {
                    throw .invalid("params.tags[\(index)] must be an object with string fields key and value")
                }
                tags.append(SecretTag(key: key, value: value))
            }
        case .some(let other):
            throw .invalid("params.tags must be an object or an array of {key, value}, not \(other.kindDescription)")
        }
        guard tags.count <= 50 else { throw .invalid("params.tags has \(tags.count) tags; the limit is 50") }
        for (index, tag) in tags.enumerated() {
            guard (1...128).contains(tag.key.count) else {
                throw .invalid("params.tags: tag \(index + 1) has a key that is not 1-128 characters long")
            }
            guard tag.value.count <= 256 else {
                throw .invalid("params.tags: tag \(index + 1) has a value longer than 256 characters")
            }
        }
        return tags
    }
}
