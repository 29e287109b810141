/// The third line of the canonical request: parameters re-encoded, sorted by key then value.
enum CanonicalQuery {
    /// One parameter inside the scratch buffer: key is `keyStart..<keyEnd`, value `keyEnd..<valueEnd`.
    private struct Parameter {
        var keyStart: Int
        var keyEnd: Int
        var valueEnd: Int
    }

    /// A parameter without `=` (`?flag`) is signed as `flag=`; empty pieces (`a=1&&b=2`) are skipped.
    static func append(query: String, to output: inout [UInt8]) {
        guard !query.isEmpty else { return }
        var query = query
        query.withUTF8 { bytes in
            let ampersand = UInt8(ascii: "&")
            let equals = UInt8(ascii: "=")
            var scratch: [UInt8] = []
            scratch.reserveCapacity(bytes.count + bytes.count / 2)
            var parameters: [Parameter] = []
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != ampersand { end += 1 }
                if end > start {
                    var separator = start
                    while separator < end && bytes[separator] != equals { separator += 1 }
                    let keyStart = scratch.count
                    PercentEncoding.appendQueryComponent(bytes[start..<separator], to: &scratch)
                    let keyEnd = scratch.count
                    if separator < end {
                        PercentEncoding.appendQueryComponent(bytes[(separator + 1)..<end], to: &scratch)
                    }
                    parameters.append(Parameter(keyStart: keyStart, keyEnd: keyEnd, valueEnd: scratch.count))
                }
                start = end + 1
            }
            scratch.withUnsafeBufferPointer { scratch in
                parameters.sort { a, b in
                    let byKey = ByteOrder.compare(scratch, a.keyStart..<a.keyEnd, b.keyStart..<b.keyEnd)
                    if byKey != 0 { return byKey < 0 }
                    return ByteOrder.compare(scratch, a.keyEnd..<a.valueEnd, b.keyEnd..<b.valueEnd) < 0
                }
                for (index, parameter) in parameters.enumerated() {
                    if index > 0 { output.append(ampersand) }
                    output.append(contentsOf: scratch[parameter.keyStart..<parameter.keyEnd])
                    output.append(equals)
                    output.append(contentsOf: scratch[parameter.keyEnd..<parameter.valueEnd])
                }
            }
        }
    }
}

/// Lexicographic comparison of byte ranges, the order SigV4 sorts by.
enum ByteOrder {
    @inline(__always)
    static func compare(_ buffer: UnsafeBufferPointer<UInt8>, _ a: Range<Int>, _ b: Range<Int>) -> Int {
        let common = min(a.count, b.count)
        var offset = 0
        while offset < common {
            let left = buffer[a.lowerBound + offset]
            let right = buffer[b.lowerBound + offset]
            if left != right { return left < right ? -1 : 1 }
            offset += 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
