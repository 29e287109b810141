import SigV4

/// Key ids, secret keys and session tokens are printable ASCII without spaces (0x21-0x7E).
/// Anything else (a space, a line break, a byte order mark, a non-ASCII byte) would go into a
/// header or the signing key as it is, and AWS would answer only `SignatureDoesNotMatch`; every
/// source of credentials names the field and the position instead, never the value.
enum CredentialText {
    /// Why `text` cannot be a key id, secret key or session token, or nil if it can.
    static func problem(_ text: String) -> String? {
        guard let offset = text.utf8.firstIndex(where: { !(0x21...0x7E).contains($0) }) else { return nil }
        let position = text.utf8.distance(from: text.utf8.startIndex, to: offset) + 1
        return "has a character no key holds (white space, a control character or a non-ASCII byte) at byte \(position)"
    }

    /// The first of `credentials`' fields that cannot be, by the name its source gives it, and why
    /// (`AWS_SESSION_TOKEN has a character ...`); nil if none.
    static func problem(
        in credentials: Credentials, names: (accessKeyID: String, secretAccessKey: String, sessionToken: String)
    ) -> String? {
        let fields = [
            (names.accessKeyID, credentials.accessKeyId), (names.secretAccessKey, credentials.secretAccessKey),
            (names.sessionToken, credentials.sessionToken ?? ""),
        ]
        for (name, value) in fields {
            if let problem = problem(value) { return "\(name) \(problem)" }
        }
        return nil
    }
}
