internal import CCurl
internal import CCurlShim

/// Owns a libcurl share handle holding the DNS cache and TLS session cache, so resumed TLS
/// sessions survive easy-handle resets. Only engine-thread easy handles use it, so it needs
/// no lock callbacks. Freed in `deinit`, after the engine has detached every easy handle.
final class CurlShareHandle {
    let raw: UnsafeMutableRawPointer

    init() throws(HTTPClientError) {
        guard let raw = ccurlshim_share_init() else {
            throw HTTPClientError(code: .other, message: "curl_share_init failed")
        }
        for data in [CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION] {
            let code = ccurlshim_share_setopt_long(raw, CURLSHOPT_SHARE, Int(data.rawValue))
            guard code == CURLSHE_OK else {
                ccurlshim_share_cleanup(raw)
                throw HTTPClientError(
                    code: .other,
                    message: "curl_share_setopt failed: \(String(cString: ccurlshim_share_strerror(code)))"
                )
            }
        }
        self.raw = raw
    }

    deinit {
        ccurlshim_share_cleanup(raw)
    }
}
