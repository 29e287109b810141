import struct FoundationEssentials.Data
import SecretsManager
import JSON

/// Params that several operations share: a secret's value, description, stages and tags.
extension OperationParams {
    /// `secretString` or `secretBinary` (base64), 1 byte to 64 KiB. Messages never quote values.
    func secretValue() throws(TaskProblem) -> SecretValue? {
        let string = try object.optionalString("secretString")
        let base64 = try object.optionalString("secretBinary")
        let value: SecretValue
        switch (string, base64) {
        case (.some, .some):
            throw .invalid("give either params.secretString or params.secretBinary, not both")
        case (.none, .none):
            return nil
        case (.some(let string), .none):
            value = .string(string)
        case (.none, .some(let base64)):
            // Line breaks are taken out first: `base64` (GNU) wraps its output at 76 columns, and
            // a producer that pastes it should not have to unwrap it.
            let unwrapped =
                base64.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D })
                ? String(decoding: base64.utf8.filter { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self) : base64
            guard let data = Data(base64Encoded: unwrapped) else {
                throw .invalid("params.secretBinary is not valid base64")
            }
            value = .binary(data)
        }
        let field = string != nil ? "params.secretString" : "params.secretBinary"
        guard value.byteCount > 0 else {
            throw .invalid("\(field) is empty; Secrets Manager stores 1-\(SecretValue.maximumBytes) bytes")
        }
        guard value.byteCount <= SecretValue.maximumBytes else {
            throw .invalid(
                "\(field) is \(value.byteCount) bytes; Secrets Manager stores at most \(SecretValue.maximumBytes)")
        }
        return value
    }

    func description() throws(TaskProblem) -> String? {
        try object.optionalString("description", length: 0...2048)
    }

    func kmsKeyId() throws(TaskProblem) -> String? {
        try object.optionalString("kmsKeyId", length: 1...2048)
    }

    func versionStages() throws(TaskProblem) -> [String]? {
        guard let stages = try object.optionalStrings("versionStages") else { return nil }
        guard (1...20).contains(stages.count) else {
            throw .invalid("params.versionStages must list 1-20 stages, not \(stages.count)")
        }
        for (index, stage) in stages.enumerated() where !(1...256).contains(stage.unicodeScalars.count) {
            throw .invalid("params.versionStages[\(index)] must be 1-256 characters long")
        }
        return stages
    }

    /// Secrets Manager's limit of tags per secret.
    static let maximumTags = 50

    static func tooManyTags(_ count: Int) -> TaskProblem {
        .invalid("params.tags has \(count) tags; the limit is \(maximumTags)")
    }

    /// A list tag's string field spelt `lower` or `upper`, and not both.
    private static func tagField(_ object: JSONObject, _ lower: String, _ upper: String) -> String? {
        switch (object[lower], object[upper]) {
        case (.string(let value)?, nil), (nil, .string(let value)?): value
        default: nil
        }
    }

    /// Tags as an object (`{"team": "db"}`, sorted by key) or as AWS's list
    /// (`[{"key": "team", "value": "db"}]`, also `Key`/`Value`).
    func tags() throws(TaskProblem) -> [SecretTag] {
        var tags: [SecretTag] = []
        switch object.fields["tags"] {
        case .none, .some(.null):
            return []
        case .some(.object(let object)):
            // Counted first: a task may hold thousands of members, and sorting them is for nothing.
            guard object.count <= Self.maximumTags else { throw Self.tooManyTags(object.count) }
            for member in object.sortedMembers {
                guard case .string(let value) = member.value else {
                    throw .invalid("params.tags.\(TaskObject.quotedKey(member.key)) must be a string")
                }
                tags.append(SecretTag(key: member.key, value: value))
            }
        case .some(.array(let elements)):
            for (index, element) in elements.enumerated() {
                // Each field once, in one spelling, and nothing else: a tag given two keys (or a
                // misspelt member) would otherwise quietly become one of them.
                guard case .object(let object) = element, object.count == 2,
                    let key = Self.tagField(object, "key", "Key"), let value = Self.tagField(object, "value", "Value")
                else {
                    throw .invalid(
                        "params.tags[\(index)] must be an object with string fields key and value (or Key and Value), and no others")
                }
                tags.append(SecretTag(key: key, value: value))
            }
        case .some(let other):
            throw .invalid("params.tags must be an object or an array of {key, value}, not \(other.kindDescription)")
        }
        guard tags.count <= Self.maximumTags else { throw Self.tooManyTags(tags.count) }
        for (index, tag) in tags.enumerated() {
            guard (1...128).contains(tag.key.unicodeScalars.count) else {
                throw .invalid("params.tags: tag \(index + 1) has a key that is not 1-128 characters long")
            }
            guard tag.value.unicodeScalars.count <= 256 else {
                throw .invalid("params.tags: tag \(index + 1) has a value longer than 256 characters")
            }
            // Reserved by AWS in any case (its own tags): AWS would refuse the call, or keep a tag
            // no one could change or remove.
            // By bytes: `hasPrefix` compares characters, and `aws:` followed by a combining
            // mark ends in another character than `:`.
            guard !tag.key.lowercased().utf8.starts(with: "aws:".utf8) else {
                throw .invalid("params.tags: tag \(index + 1) has a key beginning with 'aws:', which AWS reserves for its own tags")
            }
        }
        return tags
    }
}
