import AWSCore
import FoundationEssentials
import HTTP
import Logging

/// The Amazon SQS operations the fleet queue needs, over the AWS JSON 1.0 protocol (`POST /`,
/// `X-Amz-Target: AmazonSQS.<Action>`), on one endpoint with one set of credentials.
///
/// Errors are `AWSError`s with SQS's codes (`QueueDoesNotExist`, `AccessDeniedException`,
/// `RequestThrottled`, ...), whether the endpoint answered in JSON or, as emulators sometimes do,
/// in XML.
public struct SQSClient: Sendable {
    public static let signingName = "sqs"
    public static let targetPrefix = "AmazonSQS"

    public let aws: AWSClient
    public let credentials: any CredentialProvider

    public init(aws: AWSClient, credentials: any CredentialProvider) {
        self.aws = aws
        self.credentials = credentials
    }

    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// Encodes `input`, sends it as `operation` and decodes the answer.
    /// - Parameter redacting: receipt handles the request carries: SQS quotes them in its error
    ///   messages ("The input receipt handle \"...\" is not a valid receipt handle"), and errors
    ///   reach the journal and `status`.
    func perform<Input: Encodable, Output: Decodable>(
        _ operation: String, _ input: Input, as output: Output.Type, redacting: [String] = [], logger: Logger
    ) async throws(AWSError) -> Output {
        try await performDated(operation, input, as: output, redacting: redacting, logger: logger).output
    }

    /// ``perform(_:_:as:redacting:logger:)``, with the answer's `Date` header: when SQS answered,
    /// by AWS's clock (to the second), whatever this host's says.
    func performDated<Input: Encodable, Output: Decodable>(
        _ operation: String, _ input: Input, as output: Output.Type, redacting: [String] = [], logger: Logger
    ) async throws(AWSError) -> (output: Output, answeredAt: Date?) {
        let body: Data
        do {
            body = try Self.encoder.encode(input)
        } catch {
            throw AWSError.validation(.invalidRequest, "the \(operation) request could not be encoded")
        }
        var call = AWSCall.json(targetPrefix: Self.targetPrefix, operation: operation, body: body, jsonVersion: "1.0")
        call.sensitiveValues = redacting
        let response = try await aws.send(call, credentials: credentials, logger: logger)
        do {
            let decoded = try Self.decoder.decode(
                Output.self, from: response.body.isEmpty ? Data("{}".utf8) : response.body)
            return (decoded, response.headers["Date"].flatMap(HTTPDate.parse))
        } catch {
            var unreadable = AWSError(
                kind: .invalidResponse, code: .invalidResponse, message: "the \(operation) response could not be read",
                requestId: response.requestId, httpStatus: response.status, attempts: response.attempts)
            // SQS answered the call as done; only what it said is lost.
            unreadable.anAttemptMayHaveArrived = true
            throw unreadable
        }
    }

    /// An answer with no members of interest.
    struct Empty: Codable {}
}
