internal import CCurl
internal import CCurlShim

/// `curl_global_init` must run exactly once per process, before any other curl call and not
/// concurrently with anything else. A global `let` is initialised lazily under `swift_once`,
/// which gives exactly that; the result is kept so every client can report a failed init.
private let curlGlobalInitCode: UInt32 = ccurlshim_global_init_all().rawValue

enum CurlGlobal {
    /// Runs `curl_global_init(CURL_GLOBAL_ALL)` on first use; throws if it failed.
    static func ensureInitialized() throws(HTTPClientError) {
        let code = curlGlobalInitCode
        guard code == CURLE_OK.rawValue else {
            throw HTTPClientError(
                code: .other,
                message: "curl_global_init failed: \(String(cString: curl_easy_strerror(CURLcode(rawValue: code))))",
                curlCode: Int(code)
            )
        }
    }
}
