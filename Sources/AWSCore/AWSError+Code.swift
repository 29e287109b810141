extension AWSError {
    /// What an `AWSError` is: AWS's name for a service error, or the delegate's own name for a
    /// failure that got no answer from AWS.
    ///
    /// A struct rather than an enum because AWS's codes are open-ended: a code AWS sends is kept
    /// as it came (`init(rawValue:)`), so it reaches results and the journal unchanged. The static
    /// members name the codes the delegate raises and the AWS codes it decides on; callers compare
    /// against them instead of spelling strings.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The code as it appears in results and the journal, e.g. `"ResourceNotFoundException"`.
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A code AWS sent, if it is one a code may be (1-128 characters of `A-Za-z0-9._:-`, as
        /// every code that reaches results and the journal is); nil otherwise.
        public init?(sent code: String) {
            guard let bounded = AWSErrorDecoder.boundedCode(code) else { return nil }
            self.rawValue = bounded
        }

        /// A code AWS sent, unless it holds what the call carried (`redactor` finds it: an
        /// endpoint echoing a secret into it); a code callers decide by (retries, clock skew,
        /// expired credentials) is kept whatever it holds, being the same text whatever was sent.
        public init?(sent code: String, keptFrom redactor: MessageRedactor) {
            guard let bounded = Code(sent: code) else { return nil }
            guard AWSErrorDecoder.knownCodes.contains(bounded) || !redactor.finds(in: bounded.rawValue) else {
                return nil
            }
            self = bounded
        }

        // The delegate's own codes.

        /// The call was cancelled: the delegate is stopping, or its caller gave up.
        public static let cancelled = Code(rawValue: "Cancelled")
        /// No usable answer after the retries: connection, DNS, TLS or a timeout.
        public static let endpointUnreachable = Code(rawValue: "EndpointUnreachable")
        /// The answer could not be understood (or was larger than the response limit).
        public static let invalidResponse = Code(rawValue: "InvalidResponse")
        /// Credentials could not be obtained.
        public static let credentialsUnavailable = Code(rawValue: "CredentialsUnavailable")
        /// The request could not be signed; nothing was sent.
        public static let signingFailed = Code(rawValue: "SigningFailed")
        /// The task asks for something the call cannot take (a parameter out of range, say).
        public static let invalidTask = Code(rawValue: "InvalidTask")
        /// The task's secret name is not one the delegate may use.
        public static let invalidSecretName = Code(rawValue: "InvalidSecretName")
        /// The task's deadline passed before the call finished.
        public static let deadlineExceeded = Code(rawValue: "DeadlineExceeded")
        /// IMDS gave no session token.
        public static let imdsTokenUnavailable = Code(rawValue: "IMDSTokenUnavailable")
        /// IMDS has no instance role to give credentials for (HTTP 404).
        public static let instanceRoleNotFound = Code(rawValue: "InstanceRoleNotFound")
        /// IMDS answered with another error status.
        public static let imdsError = Code(rawValue: "IMDSError")
        /// The secret has no value of the asked form, or no such JSON field.
        public static let secretFieldUnavailable = Code(rawValue: "SecretFieldUnavailable")
        /// A request could not be encoded; nothing was sent.
        public static let invalidRequest = Code(rawValue: "InvalidRequest")
        /// A string is not an SQS queue URL.
        public static let invalidQueueURL = Code(rawValue: "InvalidQueueUrl")

        // Codes AWS sends that the delegate decides on (or raises itself under AWS's name).

        public static let accessDenied = Code(rawValue: "AccessDenied")
        /// An action the endpoint does not offer (an SQS-compatible endpoint without batch calls).
        public static let invalidAction = Code(rawValue: "InvalidAction")
        public static let unsupportedOperation = Code(rawValue: "UnsupportedOperation")
        public static let accessDeniedException = Code(rawValue: "AccessDeniedException")
        public static let expiredToken = Code(rawValue: "ExpiredToken")
        public static let expiredTokenException = Code(rawValue: "ExpiredTokenException")
        public static let malformedPolicyDocument = Code(rawValue: "MalformedPolicyDocument")
        public static let malformedPolicyDocumentException = Code(rawValue: "MalformedPolicyDocumentException")
        public static let regionDisabledException = Code(rawValue: "RegionDisabledException")
        /// A parameter AWS refused (STS's AssumeRole: a `DurationSeconds` over what the session may last).
        public static let validationError = Code(rawValue: "ValidationError")
        public static let resourceNotFoundException = Code(rawValue: "ResourceNotFoundException")
        public static let resourceExistsException = Code(rawValue: "ResourceExistsException")
        public static let invalidRequestException = Code(rawValue: "InvalidRequestException")
        public static let invalidParameterValue = Code(rawValue: "InvalidParameterValue")
        public static let missingParameter = Code(rawValue: "MissingParameter")
        public static let serviceUnavailable = Code(rawValue: "ServiceUnavailable")
        public static let internalFailure = Code(rawValue: "InternalFailure")
        public static let tooManyRequestsException = Code(rawValue: "TooManyRequestsException")
        public static let unknownError = Code(rawValue: "UnknownError")

        /// The codes above that AWS sends.
        static let sentByAWS: Set<Code> = [
            .accessDenied, .invalidAction, .unsupportedOperation, .accessDeniedException, .expiredToken,
            .expiredTokenException, .malformedPolicyDocument, .malformedPolicyDocumentException,
            .regionDisabledException, .validationError, .resourceNotFoundException, .resourceExistsException,
            .invalidRequestException, .invalidParameterValue, .missingParameter, .serviceUnavailable, .internalFailure,
            .tooManyRequestsException,
        ]

        /// Any of `codes`, spelled as AWS sends them (for the lists of codes a policy treats alike).
        static func set(_ codes: String...) -> Set<Code> {
            Set(codes.map(Code.init(rawValue:)))
        }

        public var description: String { rawValue }
    }
}
