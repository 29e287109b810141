/// `accessKey` credentials: the key id plain or by ref, the secret key and session token by ref.
public struct AccessKeyCredentials: Hashable, Sendable {
    public enum KeyID: Hashable, Sendable {
        case plain(String)
        case ref(String)
    }

    public let accessKeyID: KeyID
    /// A credential name (`CredentialRefStore.isValidName`).
    public let secretAccessKeyRef: String
    public let sessionTokenRef: String?

    public init(accessKeyID: KeyID, secretAccessKeyRef: String, sessionTokenRef: String?) {
        self.accessKeyID = accessKeyID
        self.secretAccessKeyRef = secretAccessKeyRef
        self.sessionTokenRef = sessionTokenRef
    }
}
