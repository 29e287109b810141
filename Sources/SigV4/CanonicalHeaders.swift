/// The header block of the canonical request and the `SignedHeaders` list.
///
/// Names are trimmed and lowercased; values trimmed with every run of whitespace (line breaks
/// of folded values included) collapsed to one space, inside quotes too, as AWS's vectors
/// require; fields sharing a name are joined with `,` in their original order.
/// Everything lives in two scratch buffers sized before the first header is read, on the stack
/// when they are small (a request without a long session token), so the header block usually
/// costs no allocation at all.
struct CanonicalHeaders {
    static let amzDate: StaticString = "x-amz-date"
    static let securityToken: StaticString = "x-amz-security-token"
    static let contentSHA256: StaticString = "x-amz-content-sha256"

    struct Entry {
        var nameStart: Int
        var nameEnd: Int
        var valueEnd: Int
        var order: Int
    }

    /// Canonical names and values, back to back; `scratchCount` bytes are written.
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    private var scratchCount = 0
    /// One per signed field; `entryCount` are written.
    private let entries: UnsafeMutableBufferPointer<Entry>
    private var entryCount = 0
    private(set) var hasAmzDate = false
    private(set) var hasSecurityToken = false
    private(set) var hasContentSHA256 = false

    /// Runs `body` with the canonical form of `headers`, in room for them plus `extraCount`
    /// more fields of `extraBytes` bytes in all (names and values) added with `add(name:value:)`.
    @inline(__always)
    static func with<Result>(
        _ headers: [(name: String, value: String)], extraCount: Int, extraBytes: Int,
        _ body: (inout CanonicalHeaders) -> Result
    ) -> Result {
        // Trimming, lowercasing and collapsing only ever shorten a field, so the raw sizes bound it.
        var rawBytes = extraBytes
        for header in headers { rawBytes += header.name.utf8.count + header.value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rawBytes) { scratch in
            withUnsafeTemporaryAllocation(of: Entry.self, capacity: headers.count + extraCount) { entries in
                var canonical = CanonicalHeaders(scratch: scratch, entries: entries)
                for header in headers {
                    var name = header.name
                    var value = header.value
                    name.withUTF8 { name in
                        value.withUTF8 { value in canonical.add(rawName: name, rawValue: value) }
                    }
                }
                return body(&canonical)
            }
        }
    }

    private init(scratch: UnsafeMutableBufferPointer<UInt8>, entries: UnsafeMutableBufferPointer<Entry>) {
        self.scratch = scratch
        self.entries = entries
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

    /// Space, tab, line feed or carriage return: one comparison and one bit test.
    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte <= 0x20 && (0x1_0000_2600 as UInt64) >> UInt64(byte) & 1 != 0
    }

    /// Copies `bytes[range]` to the end of the scratch buffer.
    private mutating func put(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        precondition(range.count <= scratch.count - scratchCount, "the scratch buffer was sized too small")
        guard let source = bytes.baseAddress, let target = scratch.baseAddress else { return }
        (target + scratchCount).update(from: source + range.lowerBound, count: range.count)
        scratchCount += range.count
    }

    /// `put` of raw bytes (the payload hash's words), copied as bytes rather than read as `UInt8`
    /// memory they were not bound to.
    private mutating func put(raw bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= scratch.count - scratchCount, "the scratch buffer was sized too small")
        guard let source = bytes.baseAddress, let target = scratch.baseAddress else { return }
        UnsafeMutableRawPointer(target + scratchCount).copyMemory(from: source, byteCount: bytes.count)
        scratchCount += bytes.count
    }

    private mutating func put(_ byte: UInt8) {
        precondition(scratchCount < scratch.count, "the scratch buffer was sized too small")
        scratch[scratchCount] = byte
        scratchCount += 1
    }

    private mutating func addEntry(nameStart: Int, nameEnd: Int) {
        precondition(entryCount < entries.count, "the entry buffer was sized too small")
        entries.initializeElement(
            at: entryCount, to: Entry(nameStart: nameStart, nameEnd: nameEnd, valueEnd: scratchCount, order: entryCount))
        entryCount += 1
    }

    private func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: scratch[range]))
    }

    private mutating func add(rawName: UnsafeBufferPointer<UInt8>, rawValue: UnsafeBufferPointer<UInt8>) {
        var first = 0
        var last = rawName.count
        while first < last && Self.isWhitespace(rawName[first]) { first += 1 }
        while last > first && Self.isWhitespace(rawName[last - 1]) { last -= 1 }
        guard first < last else { return }

        let nameStart = scratchCount
        put(rawName, first..<last)
        let nameEnd = scratchCount
        for index in nameStart..<nameEnd where scratch[index] >= 0x41 && scratch[index] <= 0x5A {
            scratch[index] |= 0x20
        }
        let name = bytes(nameStart..<nameEnd)
        if Self.isUnsigned(name) {
            scratchCount = nameStart
            return
        }
        if name.count == 10 || name.count == 20 {
            if Self.matches(name, Self.amzDate) { hasAmzDate = true }
            if Self.matches(name, Self.securityToken) { hasSecurityToken = true }
            if Self.matches(name, Self.contentSHA256) { hasContentSHA256 = true }
        }

        // Copy runs of non-whitespace in bulk, one space between runs, none at either end.
        var index = 0
        var isFirstRun = true
        while index < rawValue.count {
            while index < rawValue.count && Self.isWhitespace(rawValue[index]) { index += 1 }
            let runStart = index
            while index < rawValue.count && !Self.isWhitespace(rawValue[index]) { index += 1 }
            if index > runStart {
                if !isFirstRun { put(0x20) }
                put(rawValue, runStart..<index)
                isFirstRun = false
            }
        }
        addEntry(nameStart: nameStart, nameEnd: nameEnd)
    }

    /// Adds a header the signer itself sets (lowercase `name`, `value` already canonical); one of
    /// the `extraCount` fields `with` made room for.
    mutating func add(name: StaticString, value: UnsafeRawBufferPointer) {
        let nameStart = scratchCount
        put(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), 0..<name.utf8CodeUnitCount)
        let nameEnd = scratchCount
        put(raw: value)
        addEntry(nameStart: nameStart, nameEnd: nameEnd)
    }

    /// Appends the canonical header lines, the blank line and the signed header list (without
    /// its final newline); returns where the signed header list sits in `output`.
    mutating func append(to output: inout [UInt8]) -> Range<Int> {
        let colon = UInt8(ascii: ":")
        let comma = UInt8(ascii: ",")
        let newline = UInt8(ascii: "\n")
        let semicolon = UInt8(ascii: ";")
        var sorted = UnsafeMutableBufferPointer(rebasing: entries[..<entryCount])
        let scratch = UnsafeBufferPointer(scratch)
        sorted.sort { a, b in
            let byName = ByteOrder.compare(scratch, a.nameStart..<a.nameEnd, b.nameStart..<b.nameEnd)
            return byName != 0 ? byName < 0 : a.order < b.order
        }
        func sameName(_ a: Entry, _ b: Entry) -> Bool {
            ByteOrder.compare(scratch, a.nameStart..<a.nameEnd, b.nameStart..<b.nameEnd) == 0
        }

        // Each field is written once with a separator, its name at most twice, plus a blank line.
        let start = output.count
        var signedStart = start
        output.appendWriting(capacity: 2 * scratchCount + 3 * entryCount + 1) { writer in
            var previous: Entry?
            for entry in sorted {
                if let previous, sameName(previous, entry) {
                    writer.write(comma)
                } else {
                    if previous != nil { writer.write(newline) }
                    writer.write(bytes(entry.nameStart..<entry.nameEnd))
                    writer.write(colon)
                }
                writer.write(bytes(entry.nameEnd..<entry.valueEnd))
                previous = entry
            }
            if previous != nil { writer.write(newline) }
            writer.write(newline)

            signedStart = start + writer.count
            previous = nil
            for entry in sorted {
                if let previous {
                    if sameName(previous, entry) { continue }
                    writer.write(semicolon)
                }
                writer.write(bytes(entry.nameStart..<entry.nameEnd))
                previous = entry
            }
        }
        return signedStart..<output.count
    }
}
