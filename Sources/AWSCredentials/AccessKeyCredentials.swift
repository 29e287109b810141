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

    /// Whether `id` has an access key id's shape, 1-128 ASCII letters and digits, and is no secret
    /// access key: one of those (40 characters of base64) or a session token read in its place
    /// has a `/` or `+`, or, about one in four secret keys that have neither, 40 characters with
    /// a lowercase letter, which AWS's key ids (upper case) never have.
    public static func isValidKeyID(_ id: String) -> Bool {
        let bytes = id.utf8
        if bytes.count == 40, bytes.contains(where: { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) {
            return false
        }
        return (1...128).contains(bytes.count)
            && bytes.allSatisfy { byte in
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
