import Logging
import SigV4

/// Supplies credentials for signing. Implementations cache and refresh as they see fit; callers
/// ask for credentials on every request and must not cache them themselves.
public protocol CredentialProvider: Sendable {
    /// Returns valid credentials, fetching or refreshing them if needed.
    /// - Throws: why none could be had (``AWSError/Code/credentialsUnavailable``, an AWS or IMDS
    ///   error of the source), or ``AWSError/Code/cancelled`` when the caller was cancelled.
    func credentials(logger: Logger) async throws(AWSError) -> Credentials

    /// Tells the provider that AWS refused the credentials with `accessKeyID` as expired (on
    /// `ExpiredToken`): a provider still holding those drops them, so the next call fetches fresh
    /// ones. Others (already refreshed by another caller, or never serving them) keep theirs.
    /// - Returns: whether the next call serves other credentials than those; false for fixed
    ///   credentials that are the ones refused (an access key, the environment's), which only a
    ///   change outside the delegate renews.
    @discardableResult
    func invalidate(accessKeyID: String) async -> Bool
}

extension CredentialProvider {
    /// Fixed credentials: the refused ones are served again.
    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool { false }
}

/// Fixed credentials: an access key pair from configuration or a credential file.
public struct StaticCredentialProvider: CredentialProvider {
    public let value: Credentials

    public init(_ credentials: Credentials) {
        self.value = credentials
    }

    public func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        value
    }

    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool { value.accessKeyId != accessKeyID }
}
