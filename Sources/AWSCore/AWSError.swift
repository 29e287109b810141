import HTTP
import SigV4

/// A failed AWS call: an error AWS returned, or the delegate's own reason for not getting an answer.
///
/// `code` is AWS's name (`.resourceNotFoundException`, `.accessDeniedException`, ...) for service
/// errors and the delegate's own (`.endpointUnreachable`, `.credentialsUnavailable`, ...)
/// otherwise; see ``Code``. `message` is safe to log: it never carries keys, tokens or signatures.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// AWS answered with an error.
        case service
        /// No usable answer: connection, TLS or timeout trouble.
        case transport
        /// Credentials could not be obtained.
        case credentials
        /// The call was refused locally before anything was sent.
        case validation
        /// AWS answered with something that could not be understood.
        case invalidResponse
    }

    public var kind: Kind
    public var code: Code
    public var message: String
    public var requestId: String?
    public var httpStatus: Int?
    /// Whether trying the same call later may succeed.
    public var retryable: Bool
    /// How many attempts were made before giving up.
    public var attempts: Int
    /// The transport failure behind a `.transport` error.
    public var transportError: HTTPClientError?
    /// The call failed getting its credentials (IMDS or STS), before anything was sent to the
    /// service it was for: an unreachable IMDS says nothing about whether that service is.
    public var whileObtainingCredentials = false
    /// Whether one of the call's attempts may have reached the service and been acted on, though
    /// no answer said so: its answer lost (a timeout, a connection reset), a 5xx, or an answer that
    /// could not be read. False only when every attempt was refused by the service (4xx) or never
    /// sent (no connection, no credentials). Set by ``AWSClient``.
    public var anAttemptMayHaveArrived = false

    public init(
        kind: Kind,
        code: Code,
        message: String,
        requestId: String? = nil,
        httpStatus: Int? = nil,
        retryable: Bool = false,
        attempts: Int = 0,
        transportError: HTTPClientError? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.requestId = requestId
        self.httpStatus = httpStatus
        self.retryable = retryable
        self.attempts = attempts
        self.transportError = transportError
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let requestId { text += " (request id \(requestId))" }
        return text
    }

    public static func validation(_ code: Code, _ message: String) -> AWSError {
        AWSError(kind: .validation, code: code, message: message)
    }

    /// The request could not be signed (or an idempotency token not derived) because the
    /// cryptographic library failed; nothing was sent.
    public static func signing(_ error: SigV4Error) -> AWSError {
        AWSError(kind: .validation, code: .signingFailed, message: error.message, retryable: true)
    }

    public static func credentials(_ message: String, retryable: Bool = true) -> AWSError {
        AWSError(kind: .credentials, code: .credentialsUnavailable, message: message, retryable: retryable)
    }

    /// The caller was cancelled before an answer came (`attempts` requests sent for it).
    public static func cancelled(attempts: Int = 0) -> AWSError {
        AWSError(kind: .transport, code: .cancelled, message: "the call was cancelled", attempts: attempts)
    }
}
