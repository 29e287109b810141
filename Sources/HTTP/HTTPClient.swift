/// Sends HTTP requests. The production implementation is `CurlHTTPClient`; tests may inject others.
///
/// Implementations must allow many requests in flight at once and must map every transport
/// failure to `HTTPClientError` (never crash, never leak request bodies into errors).
public protocol HTTPClient: Sendable {
    func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse
}
