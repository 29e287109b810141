import AWSCore

/// A connector's credentials as one task gets them: the provider that signs its calls, and who
/// that is as far as what it may read goes.
public struct ResolvedCredentials: Sendable {
    /// Who signs, for the read cache, which serves an entry only to the principal that read it
    /// (another may read less).
    public enum Principal: Hashable, Sendable {
        /// An access key, by its id: read from a file (`access_key_id_ref`), it may change under a
        /// running delegate.
        case accessKey(id: String)
        /// The delegate's own identity as a reload made it (``IdentityProvider/serial``): a task
        /// that took the old identity just before a reload replaced it reads as that one.
        case identity(serial: UInt64)
        /// A role the connector names, assumed from the delegate's identity.
        case role(CredentialProviderRegistry.RoleSession)
    }

    public let provider: any CredentialProvider
    public let principal: Principal

    public init(provider: any CredentialProvider, principal: Principal) {
        self.provider = provider
        self.principal = principal
    }
}
