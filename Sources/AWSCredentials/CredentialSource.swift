import AWSCore
import Logging
import SigV4

/// Something that fetches fresh credentials on every call (IMDS, STS). Wrap one in a
/// `CachingCredentialProvider` to get caching, single-flight refresh and refresh-ahead.
public protocol CredentialSource: Sendable {
    /// A short name for logs and the status object (`imds`, `assume-role:<arn> (<region>, <duration> s)`).
    var name: String { get }

    /// - Throws: why none could be had (an IMDS or STS error, ``AWSError/Code/credentialsUnavailable``).
    func fetch(logger: Logger) async throws(AWSError) -> Credentials

    /// Called when AWS said credentials this source gave, those of `accessKeyID`, were expired.
    func invalidate(accessKeyID: String) async

    /// Why the credentials the last fetch gave are not what the source should give, though they
    /// serve (IMDS's static stability: expired ones kept while it cannot refresh them); nil when
    /// they are. The cache shows it as the session's last error.
    var degradation: String? { get }
}

extension CredentialSource {
    public func invalidate(accessKeyID: String) async {}

    public var degradation: String? { nil }
}
