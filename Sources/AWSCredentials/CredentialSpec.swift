/// How a connector authenticates (docs/INTERFACE.md section 3): the one model of a connector's
/// credentials, decoded from a task or a connector drop-in and turned into a provider by
/// `CredentialProviderRegistry`. Secrets never travel in it: keys are named by ref and read from
/// credential files on the host.
public enum CredentialSpec: Hashable, Sendable {
    /// An access key: the id plain or by ref, the secret key (and session token) by ref.
    case accessKey(AccessKeyCredentials)
    /// The delegate's own identity (`[identity] sources`).
    case instanceRole
    /// STS AssumeRole from the delegate's own identity.
    case assumeRole(AssumeRoleCredentials)

    /// The journal's `CREDENTIAL_SOURCE` value.
    public var sourceName: String {
        switch self {
        case .accessKey: "access-key"
        case .instanceRole: "instance-role"
        case .assumeRole: "assume-role"
        }
    }
}
