import Logging
import SigV4

/// Supplies credentials for signing. Implementations cache and refresh as they see fit; callers
/// ask for credentials on every request and must not cache them themselves.
public protocol CredentialProvider: Sendable {
    /// Returns valid credentials, fetching or refreshing them if needed.
    func credentials(logger: Logger) async throws -> Credentials

    /// Tells the provider that AWS refused the credentials with `accessKeyID` as expired (on
    /// `ExpiredToken`): a provider still holding those drops them, so the next call fetches fresh
    /// ones. Others (already refreshed by another caller, or never serving them) keep theirs.
    func invalidate(accessKeyID: String) async
}

extension CredentialProvider {
    public func invalidate(accessKeyID: String) async {}
}

/// Fixed credentials: an access key pair from configuration or a credential file.
public struct StaticCredentialProvider: CredentialProvider {
    public let value: Credentials

    public init(_ credentials: Credentials) {
        self.value = credentials
    }

    public func credentials(logger: Logger) async throws -> Credentials {
        value
    }
}
