/// How a connector authenticates (docs/INTERFACE.md section 3), as far as credentials are concerned.
public enum CredentialSpec: Hashable, Sendable {
    /// An access key: the id plain or by ref, the secret key always by ref.
    case accessKey(accessKeyId: String?, accessKeyIdRef: String?, secretAccessKeyRef: String, sessionTokenRef: String?)
    /// The delegate's own identity.
    case instanceRole
    /// STS AssumeRole from the delegate's own identity.
    case assumeRole(roleArn: String, externalId: String?, durationSeconds: Int)

    /// The journal's `CREDENTIAL_SOURCE` value.
    public var sourceName: String {
        switch self {
        case .accessKey: "access-key"
        case .instanceRole: "instance-role"
        case .assumeRole: "assume-role"
        }
    }
}
