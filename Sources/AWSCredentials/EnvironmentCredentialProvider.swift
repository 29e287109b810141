import AWSCore
import Logging
import SigV4

/// The delegate's identity from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally
/// `AWS_SESSION_TOKEN`, read from the environment given at start.
public struct EnvironmentCredentialProvider: CredentialProvider {
    public let source = "environment"
    private let credentials: Credentials?

    public init(environment: [String: String]) {
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            credentials = Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
        } else {
            credentials = nil
        }
    }

    /// Whether the variables are set at all (the chain skips this source when not).
    public var isConfigured: Bool { credentials != nil }

    public func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        guard let credentials else {
            throw AWSError.credentials("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", retryable: false)
        }
        return credentials
    }

    /// Fixed for the life of the process: refused, they are served again until a restart.
    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool { credentials?.accessKeyId != accessKeyID }
}
