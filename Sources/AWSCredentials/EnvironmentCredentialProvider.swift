import AWSCore
import Logging
import SigV4

/// The delegate's identity from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally
/// `AWS_SESSION_TOKEN`, read from the environment given at start.
public struct EnvironmentCredentialProvider: CredentialProvider {
    public let source = "environment"
    private let credentials: Credentials?
    /// Why the variables cannot be signed with (a space in one, say), named by position.
    private let problem: String?

    public init(environment: [String: String]) {
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            let credentials = Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
            self.credentials = credentials
            problem = CredentialText.problem(
                in: credentials, names: ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
        } else {
            credentials = nil
            problem = nil
        }
    }

    /// Whether the variables are set at all (the chain skips this source when not).
    public var isConfigured: Bool { credentials != nil }

    public func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        guard let credentials else {
            throw AWSError.credentials("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", retryable: false)
        }
        if let problem { throw AWSError.credentials("the environment's \(problem)", retryable: false) }
        return credentials
    }

    /// Fixed for the life of the process: refused, they are served again until a restart.
    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool { credentials?.accessKeyId != accessKeyID }
}
