internal import CCurl
internal import CCurlShim

/// Owns a `curl_slist` of request header lines. curl keeps the list by reference
/// (`CURLOPT_HTTPHEADER`), so the transfer stores this object until the transfer ends.
final class CurlHeaderList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init() {}

    deinit {
        ccurlshim_slist_free_all(raw)
    }

    func append(_ line: String) throws(HTTPClientError) {
        guard let next = ccurlshim_slist_append(raw, line) else {
            throw HTTPClientError(code: .other, message: "curl_slist_append failed (out of memory)")
        }
        raw = next
    }
}
