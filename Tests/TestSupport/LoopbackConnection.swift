import Foundation
import HTTP

#if canImport(Glibc)
    import Glibc
#endif

/// One accepted connection of `LoopbackHTTPServer`: a non-blocking socket, its buffers, and at
/// most one scripted action waiting for its delay. Used only by the server's loop thread.
final class LoopbackConnection {
    let fd: Int32
    let number: Int
    private(set) var isClosed = false
    private var descriptorClosed = false
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var pending: (due: ContinuousClock.Instant, action: Action)?
    private var closeAfterFlush = false
    private var sentContinue = false

    private enum Action {
        case send([UInt8], close: Bool)
        case close
    }

    private static let maxHeaderBytes = 64 * 1024

    init(fd: Int32, number: Int) {
        self.fd = fd
        self.number = number
    }

    var hasOutput: Bool { !isClosed && outputOffset < output.count }
    var dueAt: ContinuousClock.Instant? { isClosed ? nil : pending?.due }

    func close() {
        if !descriptorClosed {
            descriptorClosed = true
            _ = Glibc.close(fd)
        }
        isClosed = true
    }

    func readAvailable() {
        guard !isClosed else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                input.append(contentsOf: buffer[0..<count])
                continue
            }
            if count == 0 {
                // The client hung up (or half-closed): nothing more will arrive; answers are moot.
                isClosed = true
                return
            }
            if errno == EINTR { continue }
            if errno != EAGAIN && errno != EWOULDBLOCK { isClosed = true }
            return
        }
    }

    func fireDueAction(now: ContinuousClock.Instant) {
        guard !isClosed, let pending, pending.due <= now else { return }
        self.pending = nil
        switch pending.action {
        case .send(let bytes, let close):
            output.append(contentsOf: bytes)
            closeAfterFlush = closeAfterFlush || close
        case .close:
            isClosed = true
        }
    }

    /// Parses every complete request that can be answered now (one at a time, in order).
    func processRequests(handler: (RecordedRequest) -> ScriptedResponse) {
        while !isClosed, pending == nil, !closeAfterFlush {
            guard let headerEnd = Self.find([13, 10, 13, 10], in: input) else {
                if input.count > Self.maxHeaderBytes { reject(status: 431, reason: "Request Header Fields Too Large") }
                return
            }
            guard let head = Self.parseHead(Array(input[0..<headerEnd])) else {
                reject(status: 400, reason: "Bad Request")
                return
            }
            if head.headers["transfer-encoding"] != nil {
                reject(status: 501, reason: "Not Implemented")
                return
            }
            let length = head.headers["content-length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
            guard length >= 0 else {
                reject(status: 400, reason: "Bad Request")
                return
            }
            let bodyStart = headerEnd + 4
            guard input.count - bodyStart >= length else {
                if !sentContinue, head.headers["expect"]?.lowercased() == "100-continue" {
                    sentContinue = true
                    output.append(contentsOf: Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                return
            }
            let body = Data(input[bodyStart..<(bodyStart + length)])
            input.removeFirst(bodyStart + length)
            sentContinue = false

            let request = RecordedRequest(
                method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
                connectionNumber: number
            )
            let response = handler(request)
            let due = ContinuousClock.now.advanced(by: max(response.delay, .zero))
            if response.closeWithoutResponse {
                pending = (due, .close)
            } else {
                let clientCloses =
                    head.headers["connection"]?.lowercased() == "close"
                    || (head.version == "HTTP/1.0" && head.headers["connection"]?.lowercased() != "keep-alive")
                let close = response.closeAfterResponse || response.omitContentLength || clientCloses
                let bytes = Self.serialize(response, close: close, headRequest: head.method == "HEAD")
                pending = (due, .send(bytes, close: close))
            }
            fireDueAction(now: ContinuousClock.now)
        }
    }

    func flush() {
        while !isClosed, outputOffset < output.count {
            let count = output[outputOffset...].withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                outputOffset += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            isClosed = true  // EPIPE, ECONNRESET: the client is gone
            return
        }
        if outputOffset >= output.count {
            output.removeAll(keepingCapacity: true)
            outputOffset = 0
            if closeAfterFlush { isClosed = true }
        }
    }

    private func reject(status: Int, reason: String) {
        let response = ScriptedResponse(status: status, reason: reason, closeAfterResponse: true)
        output.append(contentsOf: Self.serialize(response, close: true, headRequest: false))
        closeAfterFlush = true
        input.removeAll()
    }

    // MARK: Parsing and serialising

    private struct Head {
        var method: String
        var target: String
        var version: String
        var headers: HTTPHeaders
    }

    private static func parseHead(_ bytes: [UInt8]) -> Head? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        // Tolerate blank lines before the request line (RFC 9112 section 2.2).
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else { return nil }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name: name, value: value)
        }
        return Head(
            method: String(requestLine[0]), target: String(requestLine[1]), version: String(requestLine[2]),
            headers: headers
        )
    }

    private static func serialize(_ response: ScriptedResponse, close: Bool, headRequest: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(response.reason ?? reasonPhrase(response.status))\r\n"
        for field in response.headers {
            head += "\(field.name): \(field.value)\r\n"
        }
        if !response.omitContentLength, response.headers["content-length"] == nil {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        if close, response.headers["connection"] == nil {
            head += "Connection: close\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !headRequest {
            bytes.append(contentsOf: response.body)
        }
        return bytes
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
