/// The result of signing: the headers to put on the request, plus the intermediate texts
/// (useful to compare with what AWS reports in a `SignatureDoesNotMatch` error).
///
/// The canonical request, the signed header list and the string to sign are kept as the bytes
/// the signature was computed over, in one buffer, and turned into strings only when asked
/// for: a request that is simply sent never pays for them.
///
/// `description` leaves out the signature, the `Authorization` value and the session token.
public struct SignedRequest: Sendable, CustomStringConvertible {
    /// The canonical request's bytes exactly as hashed, then the string to sign's.
    private let texts: [UInt8]
    /// Where the canonical request ends in `texts`.
    private let canonicalLength: Int
    /// Where `signedHeaders` lies in `texts`.
    private let signedHeadersRange: Range<Int>
    /// Where the string to sign lies in `texts`.
    private let stringToSignRange: Range<Int>

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
        texts: [UInt8],
        canonicalLength: Int,
        signedHeadersRange: Range<Int>,
        stringToSignRange: Range<Int>,
        signature: String,
        authorization: String,
        amzDate: String,
        headersToAdd: [(name: String, value: String)]
    ) {
        self.texts = texts
        self.canonicalLength = canonicalLength
        self.signedHeadersRange = signedHeadersRange
        self.stringToSignRange = stringToSignRange
        self.signature = signature
        self.authorization = authorization
        self.amzDate = amzDate
        self.headersToAdd = headersToAdd
    }

    /// The canonical request (SigV4 task 1), built on demand for diagnostics and tests.
    public var canonicalRequest: String { String(decoding: texts[..<canonicalLength], as: UTF8.self) }

    /// The string to sign (SigV4 task 2): algorithm, time, scope and the canonical request's hash.
    public var stringToSign: String { String(decoding: texts[stringToSignRange], as: UTF8.self) }

    /// `host;x-amz-date;...` as in the `Authorization` header.
    public var signedHeaders: String { String(decoding: texts[signedHeadersRange], as: UTF8.self) }

    public var description: String {
        let names = headersToAdd.map(\.name).joined(separator: ", ")
        return "SignedRequest(amzDate: \(amzDate), signedHeaders: \(signedHeaders), headersToAdd: [\(names)])"
    }
}
