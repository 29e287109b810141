import Synchronization
internal import CCurl
internal import CCurlShim

/// libcurl is opened when the first HTTP client starts its engine, not at process start (see
/// `ccurlshim_load`), and `curl_global_init` must run exactly once per process, before any
/// other curl call and not concurrently with anything else. A global `let` is initialised
/// lazily under `swift_once`, which gives exactly that; the outcome is kept (a failure is final
/// for the process) so every client can report it.
private let curlGlobalInitFailure: HTTPClientError? = {
    var reason = [CChar](repeating: 0, count: 256)
    guard ccurlshim_load(&reason, reason.count) == 1 else {
        let detail = reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return HTTPClientError(code: .other, message: "libcurl could not be loaded: \(detail)")
    }
    var ignored: Int32 = 0
    let code = ccurlshim_global_init_all(&ignored)
    CurlGlobal.keyLogFileIgnored.store(ignored != 0, ordering: .relaxed)
    guard code == CURLE_OK else {
        return HTTPClientError(
            code: .other,
            message: "curl_global_init failed: \(String(cString: ccurlshim_easy_strerror(code)))",
            curlCode: Int(code.rawValue)
        )
    }
    return nil
}()

enum CurlGlobal {
    /// `SSLKEYLOGFILE` was set and taken out of the environment before libcurl could write TLS
    /// session keys to it; the first client to start takes the flag and logs it, once per process.
    static let keyLogFileIgnored = Atomic<Bool>(false)

    /// Loads libcurl and runs `curl_global_init(CURL_GLOBAL_ALL)` on first use; throws if
    /// either failed.
    static func ensureInitialized() throws(HTTPClientError) {
        if let failure = curlGlobalInitFailure { throw failure }
    }
}
