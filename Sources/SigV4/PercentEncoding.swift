/// SigV4's URI encoding: everything but the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`)
/// becomes `%XX` with uppercase hex. The AWS query protocol's form bodies use the same encoding,
/// so this is the one place it is written.
public enum PercentEncoding {
    /// `value`'s UTF-8 bytes percent-encoded (a form value or a canonical query component).
    public static func encode(_ value: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count)
        for byte in value.utf8 { appendEncoded(byte, to: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    static let slash = UInt8(ascii: "/")
    static let percent = UInt8(ascii: "%")

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The value of one hex digit, either case.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        default: return nil
        }
    }

    /// Appends `byte` as is if unreserved, else as `%XX`.
    @inline(__always)
    static func appendEncoded(_ byte: UInt8, to output: inout [UInt8]) {
        if isUnreserved(byte) {
            output.append(byte)
        } else {
            output.append(percent)
            output.append(Hex.uppercase(byte >> 4))
            output.append(Hex.uppercase(byte & 0x0F))
        }
    }

    /// Encodes `bytes` keeping `/`. With `keepEscapes`, a valid `%XX` already present is kept
    /// (hex uppercased) instead of having its `%` encoded.
    static func appendPath(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, keepEscapes: Bool, to output: inout [UInt8]) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == slash {
                output.append(slash)
            } else if keepEscapes, byte == percent, index + 2 < bytes.endIndex,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(percent)
                output.append(Hex.uppercase(high))
                output.append(Hex.uppercase(low))
                index += 3
                continue
            } else {
                appendEncoded(byte, to: &output)
            }
            index += 1
        }
    }

    /// Decodes valid `%XX` escapes in `bytes` (a `%` not followed by two hex digits is taken
    /// literally; `+` stays `+`) and re-encodes the result: the canonical form of a query key or value.
    static func appendQueryComponent(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, to output: inout [UInt8]) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var byte = bytes[index]
            if byte == percent, index + 2 < bytes.endIndex,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                byte = high << 4 | low
                index += 3
            } else {
                index += 1
            }
            appendEncoded(byte, to: &output)
        }
    }
}
