import Foundation
import HTTP

/// What `ScriptedHTTPClient` does with one request.
public indirect enum ScriptedReply: Sendable {
    /// Answers with this response.
    case response(HTTPResponse)
    /// Fails as the transport would (no response).
    case failure(HTTPClientError)
    /// Waits until the test calls `releaseHeld()`, then replies with the inner reply; a cancelled
    /// caller gets `HTTPClientError.Code.cancelled` at once.
    case hold(ScriptedReply)
    /// Never answers: only cancelling the caller ends it (`HTTPClientError.Code.cancelled`).
    case hang

    /// A 200 (or `status`) with an AWS JSON body.
    public static func json(_ body: String, status: Int = 200, requestId: String = "req-scripted") -> ScriptedReply {
        .response(.awsJSON(body, status: status, requestId: requestId))
    }

    /// A 200 with `object` as its AWS JSON body.
    public static func json(_ object: [String: Any], requestId: String = "req-scripted") -> ScriptedReply {
        .response(.awsJSON(object, requestId: requestId))
    }

    /// An AWS JSON-protocol error (`__type` = `code`), HTTP 400 unless `status` says otherwise.
    public static func awsError(
        _ code: String, status: Int = 400, message: String = "refused by the script", requestId: String = "req-scripted"
    ) -> ScriptedReply {
        .response(.awsError(code, status: status, message: message, requestId: requestId))
    }

    /// A transport failure with `code`.
    public static func transport(_ code: HTTPClientError.Code) -> ScriptedReply {
        .failure(HTTPClientError(code: code, message: "scripted \(code.rawValue)"))
    }
}

extension HTTPResponse {
    /// A 200 (or `status`) with an AWS JSON body.
    public static func awsJSON(_ body: String, status: Int = 200, requestId: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": requestId],
            body: Data(body.utf8))
    }

    /// A 200 with `object` as its AWS JSON body.
    public static func awsJSON(_ object: [String: Any], requestId: String) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return .awsJSON(String(decoding: data, as: UTF8.self), requestId: requestId)
    }

    /// An AWS JSON-protocol error (`__type` = `code`), HTTP 400 unless `status` says otherwise.
    public static func awsError(_ code: String, status: Int = 400, message: String, requestId: String) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: ["__type": code, "message": message], options: [.sortedKeys])) ?? Data()
        return .awsJSON(String(decoding: body, as: UTF8.self), status: status, requestId: requestId)
    }
}
