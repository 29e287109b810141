/// The result of signing: the headers to put on the request, plus the intermediate texts
/// (useful to compare with what AWS reports in a `SignatureDoesNotMatch` error).
///
/// `description` leaves out the signature, the `Authorization` value and the session token.
public struct SignedRequest: Sendable, CustomStringConvertible {
    public var canonicalRequest: String
    public var stringToSign: String
    /// Lowercase hex HMAC of the string to sign.
    public var signature: String
    /// The full `Authorization` header value.
    public var authorization: String
    /// `host;x-amz-date;...` as in the `Authorization` header.
    public var signedHeaders: String
    /// `yyyyMMdd'T'HHmmss'Z'`, the `X-Amz-Date` value signed.
    public var amzDate: String
    /// Headers to add to the request, in this order: `X-Amz-Date` (unless the request already
    /// has it), `X-Amz-Security-Token` (when the credentials carry a token and the request
    /// does not), `x-amz-content-sha256` (with `signBody`, unless present), `Authorization`.
    public var headersToAdd: [(name: String, value: String)]

    public init(
        canonicalRequest: String,
        stringToSign: String,
        signature: String,
        authorization: String,
        signedHeaders: String,
        amzDate: String,
        headersToAdd: [(name: String, value: String)]
    ) {
        self.canonicalRequest = canonicalRequest
        self.stringToSign = stringToSign
        self.signature = signature
        self.authorization = authorization
        self.signedHeaders = signedHeaders
        self.amzDate = amzDate
        self.headersToAdd = headersToAdd
    }

    public var description: String {
        let names = headersToAdd.map(\.name).joined(separator: ", ")
        return "SignedRequest(amzDate: \(amzDate), signedHeaders: \(signedHeaders), headersToAdd: [\(names)])"
    }
}
