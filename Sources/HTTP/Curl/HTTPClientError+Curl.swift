internal import CCurl
internal import CCurlShim

extension HTTPClientError {
    /// Maps a failed transfer's `CURLcode` to a typed error. `detail` is curl's error-buffer
    /// text, which names hosts and reasons but never request headers or bodies. It may quote a
    /// proxy URL whole ("Unsupported proxy scheme for '...'"): curl gets proxies without their
    /// user information (``ProxyAddress``), and any left in a URL it quotes is replaced anyway
    /// (``withoutUserInfo(_:)``).
    /// - Parameters:
    ///   - proxyConnectCode: the status the proxy answered CONNECT with (0 for none).
    ///   - requestStarted: whether the request was being sent (``CurlEasyHandle/requestStarted()``):
    ///     a timeout before that (connecting, the TLS handshake, a proxy's tunnel) sent nothing,
    ///     and is a connection that could not be made, not a request whose answer was lost. (Not
    ///     for a hang-up: curl 7.88 leaves the time unset after one, whether or not the request went.)
    init(
        curlCode code: CURLcode, detail: String, responseTooLarge: Bool, headersTooLarge: Bool = false, viaProxy: Bool,
        proxyConnectCode: Int, requestStarted: Bool = true
    ) {
        let summary = String(cString: ccurlshim_easy_strerror(code))
        let detail = Self.withoutUserInfo(detail)
        let message = (detail.isEmpty || detail == summary ? summary : "\(summary): \(detail)") + Self.hint(for: code)
        self.init(
            code: headersTooLarge
                ? .responseHeadersTooLarge
                : Self.code(
                    for: code, detail: detail, responseTooLarge: responseTooLarge, viaProxy: viaProxy,
                    proxyConnectCode: proxyConnectCode, requestStarted: requestStarted),
            message: message, curlCode: Int(code.rawValue))
    }

    /// A proxy that answered CONNECT with a status other than 2xx (curl 7.88 reports that as a
    /// receive error) failed the request: for now with a 5xx (a 502 when it could not reach the
    /// host, a 503 or 504), for good otherwise (403 or 407, a 405 or 501 from a proxy that does
    /// not tunnel, any other 4xx: sending again gets the same answer).
    private static func code(
        for code: CURLcode, detail: String, responseTooLarge: Bool, viaProxy: Bool, proxyConnectCode: Int,
        requestStarted: Bool
    ) -> Code {
        if responseTooLarge { return .responseTooLarge }
        if viaProxy, proxyConnectCode != 0, !(200..<300).contains(proxyConnectCode), code != CURLE_OK {
            let forNow = (500..<600).contains(proxyConnectCode) && proxyConnectCode != 501 && proxyConnectCode != 505
            return forNow ? .proxyFailure : .proxyRefused
        }
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL where detail.contains("HTTP/0.9"):
            // curl's one name for an answer without an HTTP status line (7.66 and later).
            return .notHTTP
        case CURLE_UNSUPPORTED_PROTOCOL where requestStarted:
            // A status line libcurl does not take ("Unsupported HTTP version (1.2) in response",
            // "Unsupported response code in HTTP response"): the request went, something answered.
            return .unreadableResponse
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL
        case CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING:
            return .unreadableResponse
        case CURLE_COULDNT_RESOLVE_HOST:
            return .couldNotResolveHost
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY:
            return .proxyFailure
        case CURLE_COULDNT_CONNECT where detail.contains("Unsupported proxy scheme"):
            // A proxy URL curl cannot use (`HTTPS_PROXY=htp://...`): the same at every attempt.
            return .invalidURL
        case CURLE_COULDNT_CONNECT:
            return viaProxy ? .proxyFailure : .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT where !requestStarted:
            return viaProxy ? .proxyFailure : .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_SSL_CONNECT_ERROR:
            return .tlsHandshakeFailed
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_CLIENTCERT:
            return .tlsFailure
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_SEND_FAIL_REWIND:
            return .connectionClosed
        case CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        default:
            return .other
        }
    }

    /// What an operator does about the TLS failures a host's setup causes, said with curl's words:
    /// a certificate refused (a proxy that intercepts TLS with a CA of its own, an endpoint
    /// override without a certificate for its name), or no CA certificates to check one with.
    private static func hint(for code: CURLcode) -> String {
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION:
            " (its TLS certificate was refused: a proxy that intercepts TLS needs its CA in the system's trust store, "
                + "update-ca-certificates; an endpoint override needs a certificate for its host name)"
        case CURLE_SSL_CACERT_BADFILE:
            " (this host's CA certificates could not be read, so no certificate can be checked: install ca-certificates)"
        default:
            ""
        }
    }

    /// `text` with the user information of every `scheme://user:password@host` in it replaced by
    /// `***` (a proxy's password, from `HTTPS_PROXY`).
    static func withoutUserInfo(_ text: String) -> String {
        guard text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.firstRange(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { "/ '\"<>)]\n\t".contains($0) } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***"
                rest = rest[at...]
            }
        }
        return result + rest
    }
}
