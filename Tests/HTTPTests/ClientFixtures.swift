import Foundation
import HTTP
import Logging
import Testing

/// A client with an empty environment (no proxies) unless one is given.
func makeClient(
    environment: [String: String] = [:], caFile: String? = nil, start: CurlHTTPClient.Start = .now
) throws -> CurlHTTPClient {
    try CurlHTTPClient(
        configuration: .init(environment: environment, caFile: caFile, userAgent: "http-tests"),
        logger: Logger(label: "HTTPTests"), start: start
    )
}

/// Runs `body` and returns the thrown `HTTPClientError`, or nil if it did not throw.
/// (`execute` throws only `HTTPClientError`; anything else is recorded as a test failure.)
func clientError(_ body: () async throws -> HTTPResponse) async -> HTTPClientError? {
    do {
        _ = try await body()
        return nil
    } catch let error as HTTPClientError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}
