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
        /// The TLS handshake failed before any certificate was judged: a reset or an early end
        /// (a load balancer cutting it short), or a protocol mismatch; curl cannot tell them
        /// apart (`CURLE_SSL_CONNECT_ERROR`, 35).
        case tlsHandshakeFailed
        /// Any other TLS failure: a certificate that does not verify, a bad CA file, a cipher.
        case tlsFailure
        case proxyFailure
        /// The proxy refused the tunnel for good: 407 (it wants credentials, or others than
        /// `HTTPS_PROXY` gives) or 403 (its policy forbids the host). Not worth another attempt.
        case proxyRefused
        case connectionClosed
        /// The server answered with bytes that are no HTTP response: another protocol's service on
        /// that port, or TLS where the URL says `http://` (curl: "Received HTTP/0.9 when not
        /// allowed"). Another attempt would get the same.
        case notHTTP
        /// The server answered in HTTP that libcurl could not read: a version or status it does
        /// not take (`HTTP/1.2 200`, a status of four digits), a `Content-Length` that is no
        /// number, a content encoding it was not asked for. Another attempt would get the same.
        case unreadableResponse
        case responseTooLarge
        /// The response's header lines passed 256 KiB, or one of them libcurl's 100 KiB: a server
        /// or proxy sending endless headers (not a large body, which ``responseTooLarge`` is).
        case responseHeadersTooLarge
        case cancelled
        case other
    }

    /// What ``Code/responseHeadersTooLarge`` means, for messages that say it.
    public static let headersLimitText = "response headers over 256 KiB, or a line of them over 100 KiB"

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
        // A handshake cut short is worth another attempt; a certificate that does not verify is not.
        case .couldNotResolveHost, .couldNotConnect, .timedOut, .connectionClosed, .proxyFailure, .tlsHandshakeFailed:
            true
        case .invalidURL, .tlsFailure, .proxyRefused, .notHTTP, .unreadableResponse, .responseTooLarge,
            .responseHeadersTooLarge, .cancelled, .other:
            false
        }
    }

    /// Whether the request may have reached the server (and been acted on) although this failure
    /// ended it: false only when it was never sent (no address, no connection, no TLS session, a
    /// proxy that failed or refused the tunnel). Every code decides, so a new one must too.
    public var requestMayHaveBeenSent: Bool {
        switch code {
        case .invalidURL, .couldNotResolveHost, .couldNotConnect, .tlsHandshakeFailed, .tlsFailure, .proxyFailure,
            .proxyRefused:
            false
        case .timedOut, .connectionClosed, .notHTTP, .unreadableResponse, .responseTooLarge, .responseHeadersTooLarge,
            .cancelled, .other:
            true
        }
    }

    /// Whether a timeout ended the transfer: an answer not come in time (``Code/timedOut``), or a
    /// connection not made in time (curl's 28 before the request was sent, ``Code/couldNotConnect``).
    public var isTimeout: Bool {
        code == .timedOut || curlCode == 28
    }

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}
