internal import CCurl
internal import CCurlShim

/// Owns the libcurl multi handle: it drives every transfer and holds the connection cache,
/// so keep-alive connections are reused across requests.
///
/// `curl_multi_wakeup` is the only call made from other threads (libcurl documents it as
/// thread-safe); everything else runs on the engine thread.
final class CurlMultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init(maxConnectionsPerHost: Int, maxCachedConnections: Int) throws(HTTPClientError) {
        guard let raw = ccurlshim_multi_init() else {
            throw HTTPClientError(code: .other, message: "curl_multi_init failed")
        }
        self.raw = raw
        if maxConnectionsPerHost > 0 {
            _ = ccurlshim_multi_setopt_long(raw, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        }
        if maxCachedConnections > 0 {
            _ = ccurlshim_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        }
    }

    deinit {
        ccurlshim_multi_cleanup(raw)
    }

    /// Interrupts a `curl_multi_poll` in progress (or makes the next one return at once).
    func wakeup() {
        _ = ccurlshim_multi_wakeup(raw)
    }
}
