import AWSCore
import FoundationEssentials
import JSON
import SafeText
import Logging

extension SecretsManagerClient {
    public struct GetSecretValueOutput: Sendable, Equatable {
        public var arn: String
        public var name: String
        public var versionId: String?
        public var versionStages: [String]?
        public var secretString: String?
        public var secretBinary: Data?
        public var createdDate: Date?

        /// The value, whichever form it has.
        public var value: SecretValue? {
            if let secretString { return .string(secretString) }
            if let secretBinary { return .binary(secretBinary) }
            return nil
        }
    }

    /// One field picked out of a JSON secret, with the version it came from.
    public struct SecretField: Sendable, Equatable {
        public var output: GetSecretValueOutput
        public var fieldValue: String
    }

    /// Reads a secret's value (the `AWSCURRENT` version unless a version id or stage is given).
    public func getSecretValue(
        name: String,
        versionId: String? = nil,
        versionStage: String? = nil,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<GetSecretValueOutput> {
        let body = GetSecretValueOutput.requestBody(
            secretId: try namespace.fullName(for: name, allowManaged: true), versionId: versionId,
            versionStage: versionStage)
        return try await perform("GetSecretValue", body: body, logger: logger, read: GetSecretValueOutput.init(json:))
    }

    /// Reads one field of a JSON secret: `field` of `{"field": ...}`. A string field comes back as
    /// it is, any other JSON value as its JSON text. For tests (`@testable`): the delegate reads a
    /// field of a value it may cache, with ``field(_:of:name:requestId:attempts:)``.
    func getSecretField(
        name: String,
        field: String,
        versionId: String? = nil,
        versionStage: String? = nil,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<SecretField> {
        let response = try await getSecretValue(
            name: name, versionId: versionId, versionStage: versionStage, logger: logger)
        return SecretsManagerResponse(
            value: try Self.field(
                field, of: response.value, name: name, requestId: response.requestId, attempts: response.attempts),
            requestId: response.requestId,
            attempts: response.attempts
        )
    }

    /// `field` of the JSON secret `output` (read earlier, possibly from a cache): a string field as
    /// it is, any other JSON value as its JSON text exactly as the secret has it (a number keeps
    /// every digit, an object its key order). The secret is parsed in place, not copied. Of a key
    /// given twice the last counts (as for jq, Python and this delegate's first release).
    /// `requestId` and `attempts` go into the error.
    public static func field(
        _ field: String, of output: GetSecretValueOutput, name: String, requestId: String?, attempts: Int
    ) throws(AWSError) -> SecretField {
        guard var text = output.secretString else {
            throw notAnObject(
                field, name: name, output.secretBinary != nil ? .binary : .other, requestId: requestId,
                attempts: attempts)
        }
        let found: Result<String, AWSError> = text.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard let members = JSONParser.objectMembers(validatingUTF8: bytes) else {
                return .failure(
                    notAnObject(
                        field, name: name, Self.startsAnObject(bytes) ? .unreadableObject : .other,
                        requestId: requestId, attempts: attempts))
            }
            guard let member = members.members[JSONKey(field)] else {
                return .failure(
                    AWSError(
                        kind: .validation,
                        code: .secretFieldUnavailable,
                        message: "secret \(SecretReference.quoted(name)) has no field \(quotedField(field))",
                        requestId: requestId,
                        attempts: attempts
                    ))
            }
            // A string unescaped; any other value as written.
            let written = UnsafeRawBufferPointer(rebasing: bytes[member.textRange])
            return .success(member.value.stringValue ?? String(decoding: written, as: UTF8.self))
        }
        let fieldValue = try found.get()
        return SecretField(output: output, fieldValue: fieldValue)
    }

    /// A field key as the task gave it, for a message: cut at 64 characters, its control and
    /// bidirectional characters shown as `\u{..}`, as other quoted task values.
    private static func quotedField(_ field: String) -> String {
        ShownText.quoted(field, mark: "'", limit: 64)
    }

    /// Why a secret has no fields to pick, as its refusal says.
    private enum NoObject {
        /// A `SecretBinary`, which `#key` does not read whatever its bytes.
        case binary
        /// It starts as an object does, so what stops the reader is inside it (deeper than
        /// ``JSONParser/maximumDepth``, an escape that is no character, a syntax error).
        case unreadableObject
        case other

        var why: String {
            switch self {
            case .binary: "is a binary secret (SecretBinary): #key reads a field of a secret string's JSON only"
            case .unreadableObject:
                "cannot be read as one JSON object (values nested over \(JSONParser.maximumDepth) deep, a \\u escape "
                    + "that is no character such as a lone surrogate, or a syntax error)"
            case .other: "is not a JSON object"
            }
        }
    }

    private static func notAnObject(
        _ field: String, name: String, _ reason: NoObject, requestId: String?, attempts: Int
    ) -> AWSError {
        AWSError(
            kind: .validation,
            code: .secretFieldUnavailable,
            message:
                "secret \(SecretReference.quoted(name)) \(reason.why), so #\(quotedField(field)) cannot pick a field from it",
            requestId: requestId,
            attempts: attempts
        )
    }

    /// Whether `bytes` start as a JSON object does: `{` after a byte order mark and white space.
    private static func startsAnObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var rest = bytes[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        return rest.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }
}
