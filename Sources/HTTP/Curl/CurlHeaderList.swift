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

    /// Appends one header line (without a line break; curl copies it). `line` gets its C string
    /// terminator in place for the call, and is left as it was.
    func append(_ line: inout [UInt8]) throws(HTTPClientError) {
        line.append(0)
        defer { line.removeLast() }
        let next = line.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { ccurlshim_slist_append(raw, $0.baseAddress) }
        }
        guard let next else {
            throw HTTPClientError(code: .other, message: "curl_slist_append failed (out of memory)")
        }
        raw = next
    }
}
