extension TaskFailure {
    /// The `code` of a result's `error` (and of a journal `error_code`): one of the delegate's own,
    /// named by the static members, or an AWS error code passed through as AWS named it.
    ///
    /// The one declaration of the delegate's codes, for failed results and rejected tasks alike
    /// (`TaskRejection.code`). Which AWS code becomes which of these is decided in one place,
    /// `TaskFailure+AWSError.swift`. Encoded as its raw string.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible, Codable {
        /// The code as it is written, e.g. `"InvalidTask"`.
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The task is not valid (a rejection), or the call refused one of its parameters.
        public static let invalidTask = Code(rawValue: "InvalidTask")
        /// The task's secret name is not one this connector may use.
        public static let invalidSecretName = Code(rawValue: "InvalidSecretName")
        /// The task is not for this delegate (on the socket).
        public static let notSelected = Code(rawValue: "NotSelected")
        public static let credentialsUnavailable = Code(rawValue: "CredentialsUnavailable")
        public static let deadlineExceeded = Code(rawValue: "DeadlineExceeded")
        public static let endpointUnreachable = Code(rawValue: "EndpointUnreachable")
        /// The delegate stopped before it could run (or finish) the task; submit it again.
        public static let delegateStopping = Code(rawValue: "DelegateStopping")
        /// The operation ran but its result could not be sealed to the task's `sealTo` key
        /// (OpenSSL lacks X25519 or ChaCha20-Poly1305, say, under a FIPS-only provider); the
        /// result is withheld rather than written in the clear. Also a rejection: the task asks
        /// for a sealed result and this delegate cannot seal.
        public static let sealingFailed = Code(rawValue: "SealingFailed")
        /// A spool task whose id names a result still waiting in `done/`. The first result is
        /// kept; the code appears in the journal only, since a result for the second task could
        /// only be written by replacing the first.
        public static let duplicateTask = Code(rawValue: "DuplicateTask")
        /// An SQS task whose result is larger than a result message holds (`[sqs] max_message_bytes`, 256 KiB unless raised): the operation
        /// ran (a write took effect), its result is replaced by this failure so that the task
        /// message can be answered and deleted instead of running again after every lease.
        public static let resultTooLarge = Code(rawValue: "ResultTooLarge")
        /// The task's connector may not be used for this operation or by this principal, or the
        /// task carries an inline connector where they are turned off (section 9).
        public static let notAuthorized = Code(rawValue: "NotAuthorized")
        /// The connector requires sealed results and the task has no `sealTo` (section 13).
        public static let sealingRequired = Code(rawValue: "SealingRequired")

        // Refusals of the credentials socket, in the journal only (section 11); a refused read
        // is logged with its result's code.

        /// The peer's socket address is not `@<random>/unit/<unit>/<id>`.
        public static let malformedAddress = Code(rawValue: "MalformedAddress")
        /// The peer is not the service manager (uid 0).
        public static let peerNotRoot = Code(rawValue: "PeerNotRoot")
        /// No `[[credential]]` entry maps the unit's credential.
        public static let noMapping = Code(rawValue: "NoMapping")
        /// The read succeeded but its result held no value to hand over.
        public static let noValue = Code(rawValue: "NoValue")

        public var description: String { rawValue }
    }
}
