/// Standard base64 (RFC 4648 section 4) decoding without Foundation, for `secretBinary`: the
/// padded alphabet `A-Z a-z 0-9 + /`, no line breaks or other characters, as Foundation's
/// `Data(base64Encoded:)` without options.
public enum Base64 {
    /// The bytes `text` encodes, or nil when it is not padded standard base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var padding = 0
        if input.last == pad { padding += 1 }
        if input.count >= 2, input[input.count - 2] == pad { padding += 1 }
        var output = [UInt8]()
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            var group: UInt32 = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                let value: UInt8
                if byte == pad, isLast, offset >= 4 - padding {
                    value = 0
                } else if let sextet = sextet(byte) {
                    value = sextet
                } else {
                    return nil
                }
                group = group << 6 | UInt32(value)
            }
            let count = isLast ? 3 - padding : 3
            for shift in [16, 8, 0].prefix(count) { output.append(UInt8(truncatingIfNeeded: group >> UInt32(shift))) }
            index += 4
        }
        return output
    }

    private static let pad = UInt8(ascii: "=")

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
