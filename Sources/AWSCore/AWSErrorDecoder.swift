import FoundationEssentials
import HTTP
import JSON

/// Turns an AWS error response into an `AWSError`, whatever form it came in.
///
/// JSON services name the error in `x-amzn-ErrorType` (`Code:http://...`) or in the body's
/// `__type` (`namespace#Code`); query services and some authentication layers answer with an XML
/// `<Error><Code>`. Namespaces and suffixes are stripped. For JSON services the short
/// `AccessDenied` of the authentication layer is reported as `AccessDeniedException`, the name
/// the service itself uses, so callers see one code for one cause.
///
/// What an endpoint sends is bounded here, before it reaches results and the journal: a code is
/// at most ``maxCodeLength`` characters of `A-Za-z0-9._:-` (anything else is replaced by the
/// code the HTTP status implies), a message at most ``MessageRedactor/maxLength`` characters
/// (after the redactor took secrets out), a request
/// id at most ``maxRequestIDLength`` printable ASCII characters (else it is dropped).
enum AWSErrorDecoder {
    static let maxCodeLength = 128
    static let maxRequestIDLength = 128

    /// - Parameter redactor: takes secrets out of the message before it is bounded (the client's,
    ///   with the request's signing secrets and sensitive values).
    static func decode(
        _ response: HTTPResponse, wireProtocol: AWSCall.WireProtocol, redactor: MessageRedactor
    ) -> AWSError {
        let requestId = requestID(in: response)
        var code: String?
        var message: String?

        if let header = response.headers["x-amzn-ErrorType"], !header.isEmpty {
            code = stripNamespace(header)
        }
        if case .object(let object)? = response.body.withUnsafeBytes({ JSONParser.parse(validatingUTF8: $0)?.value }) {
            if code == nil, let type = (object["__type"] ?? object["code"] ?? object["Code"])?.stringValue {
                code = stripNamespace(type)
            }
            message = (object["message"] ?? object["Message"] ?? object["errorMessage"])?.stringValue
        } else if let xml = XMLScanner(response.body), let error = xml.element("Error") {
            code = code ?? error.value(of: "Code")
            message = error.value(of: "Message")
        }

        // An endpoint that echoes what it was sent (a session token, a sensitive value) into the
        // code or the request id does not get it into a log: such a field is dropped. Not a code
        // this client acts on, which is the same text whatever was sent: a secret value "Token"
        // must not turn ExpiredTokenException into UnknownError (no refresh, no retry).
        func clean(_ field: String) -> String? { redactor.finds(in: field) ? nil : field }
        var resolved =
            code.flatMap { AWSError.Code(sent: $0, keptFrom: redactor) } ?? fallbackCode(status: response.status)
        if wireProtocol == .json, resolved == .accessDenied {
            resolved = .accessDeniedException
        }
        return AWSError(
            kind: .service,
            code: resolved,
            message: message.map(redactor.redact) ?? "HTTP status \(response.status)",
            requestId: (requestId ?? XMLScanner(response.body)?.value(of: "RequestId").flatMap(boundedRequestID))
                .flatMap(clean),
            httpStatus: response.status
        )
    }

    /// The codes this client and its callers decide by (retries, clock skew, expired
    /// credentials, messages): AWS's text, kept though a value of the call's is in it.
    static let knownCodes = AWSError.Code.sentByAWS.union(RetryPolicy.throttlingCodes).union(RetryPolicy.transientCodes)
        .union(ClockSkewCorrector.skewCodes)

    static func requestID(in response: HTTPResponse) -> String? {
        (response.headers["x-amzn-RequestId"] ?? response.headers["x-amz-request-id"]).flatMap(boundedRequestID)
    }

    /// The code if it is 1-128 characters of `A-Za-z0-9._:-`, else nil.
    static func boundedCode(_ code: String) -> String? {
        let utf8 = code.utf8
        guard (1...maxCodeLength).contains(utf8.count) else { return nil }
        let allowed = utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
        return allowed ? code : nil
    }

    /// The request id if it is 1-128 printable ASCII characters, else nil.
    static func boundedRequestID(_ id: String) -> String? {
        let utf8 = id.utf8
        guard (1...maxRequestIDLength).contains(utf8.count), utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return nil
        }
        return id
    }

    static func stripNamespace(_ raw: String) -> String {
        var value = Substring(raw)
        if let colon = value.firstIndex(of: ":") { value = value[..<colon] }
        if let hash = value.lastIndex(of: "#") { value = value[value.index(after: hash)...] }
        return value.trimmingSpaces()
    }

    /// The code of an answer that names none. Only the statuses the standard retry mode retries
    /// get a transient code: a 501 or 505 from a proxy in the path says nothing the next attempt
    /// would change, and is `UnknownError` as a 4xx is.
    private static func fallbackCode(status: Int) -> AWSError.Code {
        switch status {
        case 503: .serviceUnavailable
        case 500, 502, 504: .internalFailure
        case 429: .tooManyRequestsException
        default: .unknownError
        }
    }
}
