import struct FoundationEssentials.Data
internal import CCurl
internal import CCurlShim

/// One request on one easy handle, from configuration to result.
///
/// Owns everything curl reads by reference during the transfer (header list, request body)
/// and collects the response. Not `Sendable`: created, driven and finished on the engine thread.
final class CurlTransfer {
    let pending: PendingRequest
    let easy: CurlEasyHandle
    private let usesProxy: Bool
    private let maxResponseBytes: Int
    private var headerList: CurlHeaderList?
    private var requestBody: CurlRequestBody?

    private var responseBody = Data()
    private var responseFields: [HTTPHeaders.Field] = []
    private var responseHeaderBytes = 0
    private var exceededLimit = false
    /// The header lines passed ``maxResponseHeaderBytes``.
    private var exceededHeaderLimit = false

    /// Response headers beyond this many bytes fail the transfer like an oversized body.
    private static let maxResponseHeaderBytes = 256 * 1024

    init(
        pending: PendingRequest,
        easy: CurlEasyHandle,
        share: CurlShareHandle,
        configuration: CurlHTTPClient.Configuration
    ) throws(HTTPClientError) {
        let request = pending.request
        self.pending = pending
        self.easy = easy
        self.maxResponseBytes = max(0, request.options.maxResponseBytes)
        let proxy = request.options.bypassProxy ? nil : configuration.proxy(for: request.url)
        self.usesProxy = proxy != nil
        try configure(request: request, proxy: proxy, share: share, configuration: configuration)
    }

    private func configure(
        request: HTTPRequest,
        proxy: String?,
        share: CurlShareHandle,
        configuration: CurlHTTPClient.Configuration
    ) throws(HTTPClientError) {
        let lowered = request.url.prefix(8).lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else {
            throw HTTPClientError(code: .invalidURL, message: "only http and https URLs are supported")
        }
        try easy.attachErrorBuffer()
        try easy.set(CURLOPT_URL, string: request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try easy.set(CURLOPT_NOSIGNAL, true)
        try easy.set(CURLOPT_SHARE, pointer: UnsafeRawPointer(share.raw))
        try easy.set(CURLOPT_FOLLOWLOCATION, false)
        // The path goes as it was signed: curl would otherwise squash `/./` and `/../`.
        try easy.set(CURLOPT_PATH_AS_IS, true)
        try easy.set(CURLOPT_TCP_KEEPALIVE, true)
        // A request that may not be made twice: a connection of its own, which libcurl never
        // sends it on again unasked (it does so only on a kept one that closed). Off otherwise:
        // the engine resets a handle's options before each transfer.
        if request.options.freshConnection { try easy.set(CURLOPT_FRESH_CONNECT, true) }
        // A transfer ended while its host name is still being resolved (its timeout, a cancel,
        // the stop) leaves curl's resolver thread to finish alone instead of joining it: the join
        // would hold the one thread that drives every transfer until getaddrinfo gives up (5 s
        // per try and nameserver by default, up to minutes), stalling every other request and
        // the stop. libcurl 7.87.0 and later; an older one does without.
        try easy.setIfKnown(CURLOPT_QUICK_EXIT, true)

        // TLS verification is always on, TLS 1.2 at least (AWS's own floor); only the trust
        // store can change, for the proxy too.
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        try easy.set(CURLOPT_PROXY_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_PROXY_SSL_VERIFYHOST, 2)
        try easy.set(CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        try easy.set(CURLOPT_PROXY_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        if let caFile = configuration.caFile {
            try easy.set(CURLOPT_CAINFO, string: caFile)
            try easy.set(CURLOPT_PROXY_CAINFO, string: caFile)
        }

        // "" disables the proxy, including any curl would find in the process environment.
        let proxyAddress = proxy.map(ProxyAddress.init)
        try easy.set(CURLOPT_PROXY, string: proxyAddress?.address ?? "")
        if let user = proxyAddress?.user { try easy.set(CURLOPT_PROXYUSERNAME, bytes: user) }
        if let password = proxyAddress?.password { try easy.set(CURLOPT_PROXYPASSWORD, bytes: password) }
        try easy.set(CURLOPT_NOPROXY, string: configuration.noProxy ?? "")
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, true)

        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.options.connectTimeout))
        try easy.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.options.totalTimeout))
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(maxResponseBytes))
        if let userAgent = configuration.userAgent {
            try easy.set(CURLOPT_USERAGENT, string: userAgent)
        }

        try configureMethodAndBody(request)
        try configureHeaders(request)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(writeFunction: Self.writeCallback, data: context)
        try easy.set(headerFunction: Self.headerCallback, data: context)
    }

    private func configureMethodAndBody(_ request: HTTPRequest) throws(HTTPClientError) {
        let method = request.method
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw HTTPClientError(code: .other, message: "invalid HTTP method")
        }
        let sendsBody = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method)
        if method == "GET" && !sendsBody {
            try easy.set(CURLOPT_HTTPGET, true)
        } else if method == "HEAD" && !sendsBody {
            try easy.set(CURLOPT_NOBODY, true)
        } else if sendsBody {
            let body = CurlRequestBody(request.body)
            requestBody = body
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            try easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeRawPointer(body.pointer))
            if method != "POST" {
                try easy.set(CURLOPT_CUSTOMREQUEST, string: method)
            }
        } else {
            try easy.set(CURLOPT_CUSTOMREQUEST, string: method)
        }
    }

    private func configureHeaders(_ request: HTTPRequest) throws(HTTPClientError) {
        var lines = CurlHeaderList.Builder(capacity: 512)
        var hasExpect = false
        var hasContentType = false
        for field in request.headers {
            var name = field.name
            var value = field.value
            guard name.withUTF8({ !$0.isEmpty && $0.allSatisfy(Self.isTokenByte) }) else {
                throw HTTPClientError(code: .other, message: "invalid request header name")
            }
            guard !value.withUTF8({ $0.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }) else {
                throw HTTPClientError(code: .other, message: "request header \(field.name) contains a line break")
            }
            hasExpect = hasExpect || HTTPHeaders.namesEqual(field.name, "Expect")
            hasContentType = hasContentType || HTTPHeaders.namesEqual(field.name, "Content-Type")
            // "Name:" would make curl drop the header, and so would a value of blanks alone (the
            // signer trims it to empty and signs it all the same); "Name;" sends it empty.
            let blank = value.utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            lines.addLine { line in
                name.withUTF8 { line.append(contentsOf: $0) }
                if blank {
                    line.append(UInt8(ascii: ";"))
                } else {
                    line.append(UInt8(ascii: ":"))
                    line.append(UInt8(ascii: " "))
                    value.withUTF8 { line.append(contentsOf: $0) }
                }
            }
        }
        // Suppress headers curl would invent: no 100-continue round trip, no form content type.
        if !hasExpect { lines.addLine("Expect:") }
        if requestBody != nil, !hasContentType { lines.addLine("Content-Type:") }
        let list = CurlHeaderList(lines)
        headerList = list
        try easy.set(CURLOPT_HTTPHEADER, pointer: list.raw.map { UnsafeRawPointer($0) })
    }

    /// The caller's result, read once curl reports the transfer done (before the handle is reset).
    func outcome(for code: CURLcode) -> PendingRequest.Outcome {
        guard code == CURLE_OK else {
            return .failure(
                HTTPClientError(
                    curlCode: code, detail: easy.errorText, responseTooLarge: exceededLimit,
                    // libcurl 7.88 ends an answer with one header line over its 100 KiB as "Out of
                    // memory", and says nothing more.
                    // (A header line, the status line at least, came: the server answered.)
                    headersTooLarge: exceededHeaderLimit || (responseHeaderBytes > 0 && code == CURLE_OUT_OF_MEMORY),
                    viaProxy: usesProxy,
                    proxyConnectCode: easy.proxyConnectCode(), requestStarted: easy.requestStarted())
            )
        }
        return .success(
            HTTPResponse(status: easy.responseCode(), headers: HTTPHeaders(responseFields), body: responseBody)
        )
    }

    // MARK: Callbacks (engine thread, inside curl_multi_perform)

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard responseBody.count + bytes.count <= maxResponseBytes else {
            exceededLimit = true
            return 0  // anything but bytes.count aborts the transfer with CURLE_WRITE_ERROR
        }
        responseBody.append(contentsOf: bytes)
        return bytes.count
    }

    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        responseHeaderBytes += bytes.count
        guard responseHeaderBytes <= Self.maxResponseHeaderBytes else {
            exceededHeaderLimit = true
            return 0
        }
        switch HTTPHeaderLine(bytes) {
        case .statusLine:
            // A new status line: keep only the last response (after 1xx or proxy answers).
            responseFields.removeAll(keepingCapacity: true)
            responseHeaderBytes = bytes.count
        case .continuation(let more):
            if let index = responseFields.indices.last {
                responseFields[index].value += " " + more
            }
        case .field(let name, let value):
            // Room for an AWS response's usual fields at the first, rather than growing 1, 2, 4, 8.
            if responseFields.capacity == 0 { responseFields.reserveCapacity(12) }
            responseFields.append(.init(name: name, value: value))
        case .other:
            break
        }
        return bytes.count
    }

    private static let writeCallback: curl_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
    }

    private static let headerCallback: curl_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
    }

    // MARK: Helpers

    /// RFC 9110 token characters, for methods and header names.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// curl wants whole milliseconds; 0 would mean "no timeout", so round up to at least 1.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, product < Int64(Int.max / 2) else { return Int.max / 2 }
        let millis = product + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, millis))
    }
}
