internal import COpenSSL

/// Turns OpenSSL status returns into `HPKEError`s.
enum OpenSSLCall {
    /// Throws unless `status` is 1 (OpenSSL's success for the calls used here).
    static func check(_ status: Int32, _ call: String, code: HPKEError.Code = .openSSL) throws(HPKEError) {
        guard status == 1 else { throw failure(call, code: code) }
    }

    /// Unwraps a handle an OpenSSL constructor returned.
    static func check<Handle>(_ handle: Handle?, _ call: String) throws(HPKEError) -> Handle {
        guard let handle else { throw failure(call) }
        return handle
    }

    /// The error for a failed call, with OpenSSL's reason for the most recent error (reasons are
    /// fixed strings such as "failed during derivation", never data). The thread's error queue
    /// is cleared so that a later, unrelated OpenSSL user (libcurl's TLS) does not see it.
    static func failure(_ call: String, code: HPKEError.Code = .openSSL) -> HPKEError {
        let packed = ERR_peek_last_error()
        ERR_clear_error()
        var message = "\(call) failed"
        if packed != 0, let reason = ERR_reason_error_string(packed) {
            message += " (\(String(cString: reason)))"
        }
        return HPKEError(code: code, message: message)
    }
}
