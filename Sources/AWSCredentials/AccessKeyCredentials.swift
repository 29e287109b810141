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

    /// Whether `id` has an access key id's shape, 1-128 ASCII letters and digits: a secret key
    /// (base64, with `/` and `+`) or a session token read in its place has not.
    public static func isValidKeyID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    false
                }
            }
    }
}
