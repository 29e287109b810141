internal import CCurl
internal import CCurlShim

/// Owns one libcurl easy handle and the error buffer curl writes into by reference.
///
/// Not `Sendable`: only the engine thread touches it. Handles are reset and pooled between
/// transfers; the handle and its buffer are freed together in `deinit`.
final class CurlEasyHandle {
    let raw: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER` target. curl keeps the pointer, so this object keeps the memory.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private static let errorBufferSize = Int(CURL_ERROR_SIZE)

    init() throws(HTTPClientError) {
        guard let raw = ccurlshim_easy_init() else {
            throw HTTPClientError(code: .other, message: "curl_easy_init failed")
        }
        self.raw = raw
        errorBuffer = .allocate(capacity: Self.errorBufferSize)
        errorBuffer.initialize(repeating: 0, count: Self.errorBufferSize)
    }

    deinit {
        ccurlshim_easy_cleanup(raw)
        errorBuffer.deinitialize(count: Self.errorBufferSize)
        errorBuffer.deallocate()
    }

    /// Clears every option (connections stay in the multi handle's cache) and the error text.
    func reset() {
        ccurlshim_easy_reset(raw)
        errorBuffer[0] = 0
    }

    /// Points curl at this object's error buffer; must be set again after every `reset()`.
    func attachErrorBuffer() throws(HTTPClientError) {
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeRawPointer(errorBuffer))
    }

    /// The detail curl wrote for the last failure, or "" when it wrote none.
    var errorText: String {
        errorBuffer[Self.errorBufferSize - 1] = 0
        return String(cString: errorBuffer)
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(ccurlshim_easy_setopt_long(raw, option, value), option)
    }

    func set(_ option: CURLoption, _ value: Bool) throws(HTTPClientError) {
        try set(option, value ? 1 : 0)
    }

    /// An option a libcurl older than the headers may not know: it does without.
    func setIfKnown(_ option: CURLoption, _ value: Bool) throws(HTTPClientError) {
        let code = ccurlshim_easy_setopt_long(raw, option, value ? 1 : 0)
        guard code != CURLE_UNKNOWN_OPTION else { return }
        try check(code, option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws(HTTPClientError) {
        try check(ccurlshim_easy_setopt_off_t(raw, option, curl_off_t(value)), option)
    }

    /// String options: curl copies the string, so nothing needs to outlive the call.
    func set(_ option: CURLoption, string value: String) throws(HTTPClientError) {
        let code = value.withCString { ccurlshim_easy_setopt_ptr(raw, option, $0) }
        try check(code, option)
    }

    /// String options given as bytes (not necessarily UTF-8), up to a first NUL: curl copies them.
    func set(_ option: CURLoption, bytes value: [UInt8]) throws(HTTPClientError) {
        let terminated = value + [0]
        let code = terminated.withUnsafeBufferPointer { ccurlshim_easy_setopt_ptr(raw, option, $0.baseAddress) }
        try check(code, option)
    }

    /// Pointer options: curl keeps the pointer, so the caller must keep the memory alive.
    func set(_ option: CURLoption, pointer value: UnsafeRawPointer?) throws(HTTPClientError) {
        try check(ccurlshim_easy_setopt_ptr(raw, option, value), option)
    }

    func set(writeFunction: curl_write_callback, data: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try check(ccurlshim_easy_setopt_write_function(raw, writeFunction), CURLOPT_WRITEFUNCTION)
        try set(CURLOPT_WRITEDATA, pointer: data)
    }

    func set(headerFunction: curl_write_callback, data: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try check(ccurlshim_easy_setopt_header_function(raw, headerFunction), CURLOPT_HEADERFUNCTION)
        try set(CURLOPT_HEADERDATA, pointer: data)
    }

    func responseCode() -> Int {
        info(CURLINFO_RESPONSE_CODE)
    }

    /// The status of a proxy's answer to CONNECT (0 when there was none).
    func proxyConnectCode() -> Int {
        info(CURLINFO_HTTP_CONNECTCODE)
    }

    /// Whether the transfer got as far as sending its request (curl's pre-transfer time is set:
    /// the connection, TLS and a proxy's tunnel all done). A timeout before that sent nothing.
    func requestStarted() -> Bool {
        var microseconds: curl_off_t = 0
        // A `_T` item: curl writes a curl_off_t, not a long.
        guard ccurlshim_easy_getinfo_off_t(raw, CURLINFO_PRETRANSFER_TIME_T, &microseconds) == CURLE_OK else {
            return false
        }
        return microseconds > 0
    }

    private func info(_ info: CURLINFO) -> Int {
        var value = 0
        guard ccurlshim_easy_getinfo_long(raw, info, &value) == CURLE_OK else { return 0 }
        return value
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(
                code: .other,
                message: "curl_easy_setopt(\(option.rawValue)) failed: \(String(cString: ccurlshim_easy_strerror(code)))",
                curlCode: Int(code.rawValue)
            )
        }
    }
}
