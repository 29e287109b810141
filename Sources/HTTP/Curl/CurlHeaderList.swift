internal import CCurl

/// Request header lines as a `curl_slist` that curl reads in place (`CURLOPT_HTTPHEADER`), kept
/// by the transfer until it ends.
///
/// The nodes and their NUL-terminated lines live in one allocation this object owns:
/// `curl_slist_append` would make two per line (a node and a copy of the line), and every request
/// sends seven or so. curl only reads the list; nothing but this object frees it.
final class CurlHeaderList {
    /// The first node; nil for no lines.
    let raw: UnsafeMutablePointer<curl_slist>?
    private let storage: UnsafeMutableRawPointer?

    /// Lines are added to a `Builder`, then made into a list at once.
    struct Builder {
        /// The lines back to back, each with its NUL.
        private(set) var bytes: [UInt8] = []
        /// Where each line starts in `bytes`.
        private(set) var starts: [Int] = []

        init(capacity: Int) {
            bytes.reserveCapacity(capacity)
            starts.reserveCapacity(16)
        }

        /// Appends a line: `body` appends its bytes (no line break, no NUL) to the buffer given.
        mutating func addLine(_ body: (inout [UInt8]) -> Void) {
            starts.append(bytes.count)
            body(&bytes)
            bytes.append(0)
        }

        /// Appends a line given whole.
        mutating func addLine(_ line: StaticString) {
            addLine { $0.append(contentsOf: UnsafeBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount)) }
        }
    }

    init(_ builder: Builder) {
        let count = builder.starts.count
        guard count > 0 else {
            raw = nil
            storage = nil
            return
        }
        let nodesSize = count * MemoryLayout<curl_slist>.stride
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: nodesSize + builder.bytes.count, alignment: MemoryLayout<curl_slist>.alignment)
        let nodes = block.bindMemory(to: curl_slist.self, capacity: count)
        let text = (block + nodesSize).bindMemory(to: CChar.self, capacity: builder.bytes.count)
        builder.bytes.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(text).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        for (index, start) in builder.starts.enumerated() {
            (nodes + index).initialize(to: curl_slist(data: text + start, next: index + 1 < count ? nodes + index + 1 : nil))
        }
        raw = nodes
        storage = block
    }

    deinit {
        storage?.deallocate()
    }

    /// The lines, in order (for tests).
    var lines: [String] {
        var lines: [String] = []
        var node = raw
        while let current = node {
            lines.append(String(cString: current.pointee.data))
            node = current.pointee.next
        }
        return lines
    }
}
