import HTTP

extension AWSError {
    /// The error for a transport failure in which the endpoint did answer, only with nothing the
    /// delegate can use: an answer over the response limit, headers without end, something other
    /// than HTTP, or HTTP libcurl could not read. Such an answer means a wrong endpoint or
    /// something in between (a proxy, a load balancer), not an outage: `InvalidResponse`, not
    /// retried. `nil` for every other failure (the endpoint was not reached, or the call was
    /// cancelled); the caller words those.
    ///
    /// One mapping for every client (AWS's services and IMDS), so that the same answer reads the
    /// same in the journal whichever endpoint sent it.
    ///
    /// - Parameters:
    ///   - endpoint: how the message names the endpoint (`https://…`, `IMDS at …`).
    ///   - maxResponseBytes: the response limit the answer went over.
    ///   - setting: whose scheme and port to check, possessive (`the endpoint's`, `imds_endpoint's`).
    ///   - suspect: what an unreadable answer suggests, as a question.
    public static func unusableAnswer(
        _ error: HTTPClientError, endpoint: String, maxResponseBytes: Int, setting: String, suspect: String
    ) -> AWSError? {
        let what: String
        switch error.code {
        case .responseTooLarge:
            what = "sent an answer larger than \(maxResponseBytes) bytes"
        case .responseHeadersTooLarge:
            what = "sent \(HTTPClientError.headersLimitText) (\(suspect))"
        case .notHTTP:
            what = "answered with something other than HTTP; check \(setting) scheme and port: \(error.message)"
        case .unreadableResponse:
            what = "answered in HTTP that could not be read (\(suspect)): \(error.message)"
        default:
            return nil
        }
        return AWSError(kind: .invalidResponse, code: .invalidResponse, message: "\(endpoint) \(what)", transportError: error)
    }
}
