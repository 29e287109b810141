import AWSCore
import FoundationEssentials
import Logging

/// The Secrets Manager operations a connector needs, on one endpoint with one set of credentials
/// and one name prefix.
///
/// Names given to the client are relative to the prefix (`db` for `devops/db`); ARNs pass
/// unchanged. Writes carry a `ClientRequestToken` derived from the caller's task id, so a
/// repeated write is a no-op rather than a second version.
public struct SecretsManagerClient: Sendable {
    public static let targetPrefix = "secretsmanager"

    public let aws: AWSClient
    public let credentials: any CredentialProvider
    public let namespace: SecretNamespace

    public init(aws: AWSClient, credentials: any CredentialProvider, namePrefix: String = "") {
        self.aws = aws
        self.credentials = credentials
        self.namespace = SecretNamespace(prefix: namePrefix)
    }

    /// Encodes `input`, sends it as `operation` and decodes the answer.
    /// - Parameters:
    ///   - value: the secret value a write carries (``SecretValue/sentText``): an error message
    ///     that quotes it (a validation message, a proxy's echo) has it replaced before the error
    ///     reaches a result or the journal.
    ///   - oncePerAttempt: a call that may not be made twice and has no idempotency token: each
    ///     attempt on a connection of its own (``AWSCall/freshConnectionEachAttempt``).
    func perform<Input: Encodable, Output: Decodable>(
        _ operation: String,
        _ input: Input,
        as output: Output.Type,
        value: SecretValue? = nil,
        oncePerAttempt: Bool = false,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<Output> {
        let body: Data
        do {
            body = try AWSJSONCoding.encoder.encode(input)
        } catch {
            throw AWSError.validation(.invalidTask, "the \(operation) request could not be encoded")
        }
        return try await perform(
            operation, body: body, sensitive: value.map { [$0.sentText] } ?? [], oncePerAttempt: oncePerAttempt,
            logger: logger
        ) { body in
            try? AWSJSONCoding.decoder.decode(Output.self, from: body)
        }
    }

    /// Sends `body` as `operation` and reads the answer with `read` (nil: it could not be read).
    /// An empty answer is read as `{}`.
    func perform<Output>(
        _ operation: String,
        body: Data,
        sensitive: [String] = [],
        oncePerAttempt: Bool = false,
        logger: Logger,
        read: (Data) -> Output?
    ) async throws(AWSError) -> SecretsManagerResponse<Output> {
        var call = AWSCall.json(targetPrefix: Self.targetPrefix, operation: operation, body: body)
        call.sensitiveValues = sensitive
        call.freshConnectionEachAttempt = oncePerAttempt
        let response = try await aws.send(call, credentials: credentials, logger: logger)
        guard let value = read(response.body.isEmpty ? Data("{}".utf8) : response.body) else {
            var unreadable = AWSError(
                kind: .invalidResponse,
                code: .invalidResponse,
                message: "the \(operation) response could not be read",
                requestId: response.requestId,
                httpStatus: response.status,
                attempts: response.attempts
            )
            // AWS answered: the call was made, whatever it said.
            unreadable.anAttemptMayHaveArrived = true
            throw unreadable
        }
        return SecretsManagerResponse(value: value, requestId: response.requestId, attempts: response.attempts)
    }
}

/// An operation's output with what the call cost.
public struct SecretsManagerResponse<Value: Sendable>: Sendable {
    public var value: Value
    public var requestId: String?
    /// Attempts made (more than one after retries; summed over pages for paginated listings).
    public var attempts: Int

    public init(value: Value, requestId: String?, attempts: Int) {
        self.value = value
        self.requestId = requestId
        self.attempts = attempts
    }
}

/// A tag on a secret.
public struct SecretTag: Codable, Sendable, Equatable {
    public var key: String
    public var value: String

    enum CodingKeys: String, CodingKey {
        case key = "Key"
        case value = "Value"
    }

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// AWS's `Tag` requires neither member: one missing (a tag another tool made with no value)
    /// is read as empty, so one such tag cannot make a whole DescribeSecret answer unreadable.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decodeIfPresent(String.self, forKey: .key) ?? ""
        value = try container.decodeIfPresent(String.self, forKey: .value) ?? ""
    }
}
