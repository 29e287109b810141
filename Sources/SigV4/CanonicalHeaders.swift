/// The header block of the canonical request and the `SignedHeaders` list.
///
/// Names are trimmed and lowercased; values trimmed with every run of whitespace (line breaks
/// of folded values included) collapsed to one space, inside quotes too, as AWS's vectors
/// require; fields sharing a name are joined with `,` in their original order.
/// Everything lives in one scratch buffer so a signature costs a couple of allocations, not
/// two per header.
struct CanonicalHeaders {
    static let amzDate: StaticString = "x-amz-date"
    static let securityToken: StaticString = "x-amz-security-token"
    static let contentSHA256: StaticString = "x-amz-content-sha256"

    private struct Entry {
        var nameStart: Int
        var nameEnd: Int
        var valueEnd: Int
        var order: Int
    }

    private var scratch: [UInt8] = []
    private var entries: [Entry] = []
    private(set) var hasAmzDate = false
    private(set) var hasSecurityToken = false
    private(set) var hasContentSHA256 = false

    init(_ headers: [(name: String, value: String)]) {
        scratch.reserveCapacity(256)
        entries.reserveCapacity(headers.count + 3)
        for header in headers {
            var name = header.name
            var value = header.value
            name.withUTF8 { name in
                value.withUTF8 { value in add(rawName: name, rawValue: value) }
            }
        }
    }

    /// Whether `name` (lowercase) is one of the headers never signed: `authorization`,
    /// `connection`, `expect`, `transfer-encoding`, `user-agent`, `x-amzn-trace-id`. Proxies and
    /// HTTP stacks add, drop or rewrite them, and an existing `Authorization` cannot sign itself.
    /// Lengths are compared first; the names are literals (a static array would cost a
    /// lazy-initialisation call per header).
    private static func isUnsigned(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 6: matches(name, "expect")
        case 10: matches(name, "connection") || matches(name, "user-agent")
        case 13: matches(name, "authorization")
        case 15: matches(name, "x-amzn-trace-id")
        case 17: matches(name, "transfer-encoding")
        default: false
        }
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount
            && bytes.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func add(rawName: UnsafeBufferPointer<UInt8>, rawValue: UnsafeBufferPointer<UInt8>) {
        var first = 0
        var last = rawName.count
        while first < last && Self.isWhitespace(rawName[first]) { first += 1 }
        while last > first && Self.isWhitespace(rawName[last - 1]) { last -= 1 }
        guard first < last else { return }

        let nameStart = scratch.count
        scratch.appendBytes(rawName, first..<last)
        let (isUnsigned, flags) = scratch.withUnsafeMutableBufferPointer { scratch in
            for index in nameStart..<scratch.count where scratch[index] >= 0x41 && scratch[index] <= 0x5A {
                scratch[index] |= 0x20
            }
            let name = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: scratch[nameStart...]))
            if Self.isUnsigned(name) { return (true, (false, false, false)) }
            guard name.count == 10 || name.count == 20 else { return (false, (false, false, false)) }
            return (
                false,
                (
                    Self.matches(name, Self.amzDate), Self.matches(name, Self.securityToken),
                    Self.matches(name, Self.contentSHA256)
                )
            )
        }
        let nameEnd = scratch.count
        if isUnsigned {
            scratch.removeLast(nameEnd - nameStart)
            return
        }
        if flags.0 { hasAmzDate = true }
        if flags.1 { hasSecurityToken = true }
        if flags.2 { hasContentSHA256 = true }

        // Copy runs of non-whitespace in bulk, one space between runs, none at either end.
        var index = 0
        var isFirstRun = true
        while index < rawValue.count {
            while index < rawValue.count && Self.isWhitespace(rawValue[index]) { index += 1 }
            let runStart = index
            while index < rawValue.count && !Self.isWhitespace(rawValue[index]) { index += 1 }
            if index > runStart {
                if !isFirstRun { scratch.append(0x20) }
                scratch.appendBytes(rawValue, runStart..<index)
                isFirstRun = false
            }
        }
        entries.append(Entry(nameStart: nameStart, nameEnd: nameEnd, valueEnd: scratch.count, order: entries.count))
    }

    /// Adds a header the signer itself sets (lowercase `name`, `value` already canonical).
    mutating func add(name: StaticString, value: UnsafeRawBufferPointer) {
        let nameStart = scratch.count
        scratch.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        let nameEnd = scratch.count
        scratch.append(contentsOf: value)
        entries.append(Entry(nameStart: nameStart, nameEnd: nameEnd, valueEnd: scratch.count, order: entries.count))
    }

    /// Appends the canonical header lines, the blank line and the signed header list (without
    /// its final newline); returns where the signed header list sits in `output`.
    mutating func append(to output: inout [UInt8]) -> Range<Int> {
        let colon = UInt8(ascii: ":")
        let comma = UInt8(ascii: ",")
        let newline = UInt8(ascii: "\n")
        let semicolon = UInt8(ascii: ";")
        return scratch.withUnsafeBufferPointer { scratch in
            entries.sort { a, b in
                let byName = ByteOrder.compare(scratch, a.nameStart..<a.nameEnd, b.nameStart..<b.nameEnd)
                return byName != 0 ? byName < 0 : a.order < b.order
            }
            var previous: Entry?
            for entry in entries {
                if let previous,
                    ByteOrder.compare(scratch, previous.nameStart..<previous.nameEnd, entry.nameStart..<entry.nameEnd)
                        == 0
                {
                    output.append(comma)
                } else {
                    if previous != nil { output.append(newline) }
                    output.appendBytes(scratch, entry.nameStart..<entry.nameEnd)
                    output.append(colon)
                }
                output.appendBytes(scratch, entry.nameEnd..<entry.valueEnd)
                previous = entry
            }
            if previous != nil { output.append(newline) }
            output.append(newline)

            let signedStart = output.count
            previous = nil
            for entry in entries {
                if let previous {
                    if ByteOrder.compare(
                        scratch, previous.nameStart..<previous.nameEnd, entry.nameStart..<entry.nameEnd)
                        == 0
                    {
                        continue
                    }
                    output.append(semicolon)
                }
                output.appendBytes(scratch, entry.nameStart..<entry.nameEnd)
                previous = entry
            }
            return signedStart..<output.count
        }
    }
}
