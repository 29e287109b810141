import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct CreateSecretInput: Sendable {
        public var name: String
        public var value: SecretValue
        public var description: String?
        public var kmsKeyId: String?
        public var tags: [SecretTag]

        public init(name: String, value: SecretValue, description: String? = nil, kmsKeyId: String? = nil, tags: [SecretTag] = []) {
            self.name = name
            self.value = value
            self.description = description
            self.kmsKeyId = kmsKeyId
            self.tags = tags
        }
    }

    public struct CreateSecretOutput: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var versionId: String?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case versionId = "VersionId"
        }
    }

    struct CreateSecretRequest: Encodable {
        var name: String
        var clientRequestToken: String
        var secretString: String?
        var secretBinary: String?
        var description: String?
        var kmsKeyId: String?
        var tags: [SecretTag]?

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case clientRequestToken = "ClientRequestToken"
            case secretString = "SecretString"
            case secretBinary = "SecretBinary"
            case description = "Description"
            case kmsKeyId = "KmsKeyId"
            case tags = "Tags"
        }
    }

    /// Creates a secret. `taskID` makes the call idempotent: the same task creating the same
    /// secret again is answered with the first call's version.
    public func createSecret(
        _ input: CreateSecretInput,
        taskID: String,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<CreateSecretOutput> {
        let fullName = try namespace.fullName(for: input.name)
        try input.value.validateSize()
        let (string, binary) = input.value.wireFields
        let request = CreateSecretRequest(
            name: fullName,
            clientRequestToken: try IdempotencyToken.derive(taskID: taskID, operation: "CreateSecret", secret: fullName),
            secretString: string,
            secretBinary: binary,
            description: input.description,
            kmsKeyId: input.kmsKeyId,
            tags: input.tags.isEmpty ? nil : input.tags
        )
        return try await perform("CreateSecret", request, as: CreateSecretOutput.self, value: input.value, logger: logger)
    }
}

extension SecretValue {
    /// `(SecretString, SecretBinary)` as the wire format wants them: exactly one is set.
    var wireFields: (String?, String?) {
        switch self {
        case .string(let text): (text, nil)
        case .binary(let data): (nil, data.base64EncodedString())
        }
    }

    /// The value as the request carries it (the text, or the binary's base64): an answer that
    /// quotes it, as it is or as JSON spells it, has it redacted (``MessageRedactor``).
    var sentText: String {
        let (string, binary) = wireFields
        return string ?? binary ?? ""
    }
}
