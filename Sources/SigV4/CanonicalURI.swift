/// The second line of the canonical request: the path, optionally normalised, percent-encoded.
enum CanonicalURI {
    static func append(path: String, normalize: Bool, doubleEncode: Bool, to output: inout [UInt8]) {
        var path = path
        path.withUTF8 { bytes in
            if bytes.isEmpty {
                output.append(PercentEncoding.slash)
            } else if normalize {
                appendNormalized(bytes, keepEscapes: !doubleEncode, to: &output)
            } else {
                if bytes[0] != PercentEncoding.slash { output.append(PercentEncoding.slash) }
                PercentEncoding.appendPath(bytes[...], keepEscapes: !doubleEncode, to: &output)
            }
        }
    }

    /// Drops empty and `.` segments, resolves `..` (never above the root), keeps a trailing
    /// slash when the original path has one; the same rules as botocore and smithy-rs.
    private static func appendNormalized(
        _ bytes: UnsafeBufferPointer<UInt8>, keepEscapes: Bool, to output: inout [UInt8]
    ) {
        let base = output.count
        let dot = UInt8(ascii: ".")
        // Output length before each kept segment, to undo it on `..`. Empty (no allocation) for "/".
        var segmentStarts: [Int] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != PercentEncoding.slash { end += 1 }
            let length = end - start
            if length == 0 || (length == 1 && bytes[start] == dot) {
                // skipped
            } else if length == 2 && bytes[start] == dot && bytes[start + 1] == dot {
                if let last = segmentStarts.popLast() { output.removeLast(output.count - last) }
            } else {
                segmentStarts.append(output.count)
                output.append(PercentEncoding.slash)
                PercentEncoding.appendPath(bytes[start..<end], keepEscapes: keepEscapes, to: &output)
            }
            start = end + 1
        }
        if output.count == base || bytes[bytes.count - 1] == PercentEncoding.slash {
            output.append(PercentEncoding.slash)
        }
    }
}
