import AWSCore

/// A connector's secret name prefix, and the mapping between the names tasks use and the names
/// AWS stores.
///
/// Secrets Manager names are flat: the prefix `devops` makes `db` into `devops/db`. The rules
/// themselves (prefix trimming, ARNs as is if under the prefix, 1-512 characters of `A-Za-z0-9/_+=.@-`) live in
/// `SecretReference`; this type applies them for one client and turns a refusal into an
/// `InvalidSecretName` error before any call, so a bad name never costs a request.
public struct SecretNamespace: Sendable, Equatable {
    /// The normalised prefix, without leading or trailing `/`; empty for none.
    public let prefix: String

    public init(prefix: String) {
        self.prefix = SecretReference.normalizedPrefix(prefix)
    }

    /// The name AWS knows: `prefix/name`, or the ARN unchanged (if it names a secret under the
    /// prefix). `allowManaged`: the name may be a managed secret's (the calls that read).
    public func fullName(for name: String, allowManaged: Bool = false) throws(AWSError) -> String {
        guard !name.isEmpty else { throw AWSError.validation(.invalidSecretName, "the secret name is empty") }
        do {
            return try SecretReference.resolve(prefix: prefix, name: name, allowManaged: allowManaged)
        } catch {
            throw AWSError.validation(.invalidSecretName, error.message)
        }
    }

    /// The name relative to the prefix, as results report it.
    public func relativeName(for fullName: String) -> String {
        SecretReference.relativeName(fullName: fullName, prefix: prefix)
    }
}
