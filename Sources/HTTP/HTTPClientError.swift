/// A transport failure: the request got no complete HTTP response.
///
/// HTTP error statuses are not errors at this level; they come back as `HTTPResponse`s.
/// The message never contains request headers or bodies (they may hold secrets).
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case invalidURL
        case couldNotResolveHost
        case couldNotConnect
        case timedOut
        case tlsFailure
        case proxyFailure
        case connectionClosed
        case responseTooLarge
        case cancelled
        case other
    }

    public var code: Code
    public var message: String
    /// libcurl's `CURLcode`, when the failure came from libcurl.
    public var curlCode: Int?

    public init(code: Code, message: String, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }

    /// True for failures where the request may not have reached the server or where trying
    /// again can help (connection problems and timeouts).
    public var isTransient: Bool {
        switch code {
        case .couldNotResolveHost, .couldNotConnect, .timedOut, .connectionClosed, .proxyFailure: true
        // A handshake cut short (a reset or an early end from a load balancer: curl's
        // CURLE_SSL_CONNECT_ERROR) is worth another attempt; a certificate that does not verify,
        // or any other TLS failure, is not.
        case .tlsFailure: curlCode == Self.curlHandshakeFailed
        case .invalidURL, .responseTooLarge, .cancelled, .other: false
        }
    }

    /// `CURLE_SSL_CONNECT_ERROR`: the TLS handshake failed (not the certificate's verification).
    static let curlHandshakeFailed = 35

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}
