import Foundation
import HTTP

/// Turns an AWS error response into an `AWSError`, whatever form it came in.
///
/// JSON services name the error in `x-amzn-ErrorType` (`Code:http://...`) or in the body's
/// `__type` (`namespace#Code`); query services and some authentication layers answer with an XML
/// `<Error><Code>`. Namespaces and suffixes are stripped. For JSON services the short
/// `AccessDenied` of the authentication layer is reported as `AccessDeniedException`, the name
/// the service itself uses, so callers see one code for one cause.
enum AWSErrorDecoder {
    static func decode(_ response: HTTPResponse, wireProtocol: AWSCall.WireProtocol) -> AWSError {
        let requestId = requestID(in: response)
        var code: String?
        var message: String?

        if let header = response.headers["x-amzn-ErrorType"], !header.isEmpty {
            code = stripNamespace(header)
        }
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            if code == nil, let type = (object["__type"] ?? object["code"] ?? object["Code"]) as? String {
                code = stripNamespace(type)
            }
            message = (object["message"] ?? object["Message"] ?? object["errorMessage"]) as? String
        } else if let xml = XMLScanner(response.body), let error = xml.element("Error") {
            code = code ?? error.value(of: "Code")
            message = error.value(of: "Message")
        }

        var resolved = code ?? fallbackCode(status: response.status)
        if wireProtocol == .json, resolved == "AccessDenied" {
            resolved = "AccessDeniedException"
        }
        return AWSError(
            kind: .service,
            code: resolved,
            message: message ?? "HTTP status \(response.status)",
            requestId: requestId ?? XMLScanner(response.body)?.value(of: "RequestId"),
            httpStatus: response.status
        )
    }

    static func requestID(in response: HTTPResponse) -> String? {
        response.headers["x-amzn-RequestId"] ?? response.headers["x-amz-request-id"]
    }

    static func stripNamespace(_ raw: String) -> String {
        var value = Substring(raw)
        if let colon = value.firstIndex(of: ":") { value = value[..<colon] }
        if let hash = value.lastIndex(of: "#") { value = value[value.index(after: hash)...] }
        return value.trimmingCharacters(in: .whitespaces)
    }

    private static func fallbackCode(status: Int) -> String {
        switch status {
        case 503: "ServiceUnavailable"
        case 500...599: "InternalFailure"
        case 429: "TooManyRequestsException"
        default: "UnknownError"
        }
    }
}
