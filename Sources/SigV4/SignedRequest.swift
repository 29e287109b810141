/// The result of signing: the headers to put on the request, plus the intermediate texts
/// (useful to compare with what AWS reports in a `SignatureDoesNotMatch` error).
///
/// The canonical request and the signed header list are kept as the bytes the signature was
/// computed over and turned into strings only when asked for: a request that is simply sent
/// never pays for them.
///
/// `description` leaves out the signature, the `Authorization` value and the session token.
public struct SignedRequest: Sendable, CustomStringConvertible {
    /// The canonical request's bytes, exactly as hashed.
    private let canonicalBytes: [UInt8]
    /// Where `signedHeaders` lies in `canonicalBytes`.
    private let signedHeadersRange: Range<Int>

    public var stringToSign: String
    /// Lowercase hex HMAC of the string to sign.
    public var signature: String
    /// The full `Authorization` header value.
    public var authorization: String
    /// `yyyyMMdd'T'HHmmss'Z'`, the `X-Amz-Date` value signed.
    public var amzDate: String
    /// Headers to add to the request, in this order: `X-Amz-Date` (unless the request already
    /// has it), `X-Amz-Security-Token` (when the credentials carry a token and the request
    /// does not), `x-amz-content-sha256` (with `signBody`, unless present), `Authorization`.
    public var headersToAdd: [(name: String, value: String)]

    init(
        canonicalBytes: [UInt8],
        signedHeadersRange: Range<Int>,
        stringToSign: String,
        signature: String,
        authorization: String,
        amzDate: String,
        headersToAdd: [(name: String, value: String)]
    ) {
        self.canonicalBytes = canonicalBytes
        self.signedHeadersRange = signedHeadersRange
        self.stringToSign = stringToSign
        self.signature = signature
        self.authorization = authorization
        self.amzDate = amzDate
        self.headersToAdd = headersToAdd
    }

    /// The canonical request (SigV4 task 1), built on demand for diagnostics and tests.
    public var canonicalRequest: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// `host;x-amz-date;...` as in the `Authorization` header.
    public var signedHeaders: String { String(decoding: canonicalBytes[signedHeadersRange], as: UTF8.self) }

    public var description: String {
        let names = headersToAdd.map(\.name).joined(separator: ", ")
        return "SignedRequest(amzDate: \(amzDate), signedHeaders: \(signedHeaders), headersToAdd: [\(names)])"
    }
}
