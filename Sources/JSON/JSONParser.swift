/// Reads UTF-8 JSON bytes straight into a `JSONValue`, in one pass.
///
/// Tasks arrive as JSON; decoding them through `JSONDecoder` and `JSONValue`'s `Decodable`
/// conformance cost a sixth of the daemon's CPU per task (a container per value, and a thrown
/// error for every kind a value turned out not to be). This parser accepts exactly what that
/// path accepted and builds the same values, which `JSONParserTests` checks against
/// `JSONDecoder` over edge cases and generated documents:
/// - RFC 8259 syntax, plus what Foundation's decoder tolerates: one leading byte order mark and
///   one trailing comma in an array or object (`[1,]`);
/// - at most 512 nested arrays and objects;
/// - a number without fraction or exponent that fits `Int64` is an integer; one with a fraction
///   or exponent whose `Double` is a whole number inside `Int64` is an integer too (`1.0`, `1e2`,
///   the decimal written, truncated); any other finite number is a `Double`; one that overflows
///   a `Double` is an error (but for ``objectMembers(validatingUTF8:)``, which hands values on as
///   written);
/// - `\u` escapes of a UTF-16 surrogate must form a pair;
/// - of a key given twice in one object the first value is kept, and `hasDuplicateKeys` says so;
///   ``duplicateKeys(in:shallowDepth:)`` then finds them with their paths (the task decoder refuses
///   such tasks, naming the key; ``firstDuplicateKey(in:)``, the first of them, is for tests).
///
/// Two differences. On documents refused either way: `JSONDecoder` never reads the value of a
/// key given twice (it keeps the first), so it let through a bad escape or number there, and
/// the task decoder then refused the task for its duplicate key; this parser refuses the
/// document as invalid JSON. And the parser reads UTF-8 only, as the contract says tasks are:
/// `JSONDecoder` also took UTF-16 and UTF-32 without a byte order mark (told apart by their NUL
/// bytes, which are valid UTF-8).
public struct JSONParser {
    /// The result of a successful parse.
    public struct Parsed: Sendable {
        public var value: JSONValue
        /// Some object held a key twice (keys compared as Swift strings, after unescaping).
        public var hasDuplicateKeys: Bool
    }

    public static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var depth = 0
    /// Why the parse stopped where it did, set where a reason is known (for ``stop(in:)``).
    private var stopReason = Stop.Reason.syntax
    private var hasDuplicateKeys = false
    /// Set by ``objectMembers(validatingUTF8:)`` only: each key of the outermost object's value
    /// and where it lies in `bytes` (the last of a key given twice).
    private var memberRanges: [JSONKey: ObjectMembers.Member]?
    /// Set by ``duplicateKeys(in:shallowDepth:)`` only: the path to the value being read is
    /// kept, and the first duplicate key recorded, and every one at most `shallowDepth` deep.
    private let tracksPath: Bool
    private var path: [PathComponent] = []
    private var firstDuplicate: DuplicateKey?
    private var shallowDepth = 0
    private var shallowDuplicates: Set<DuplicateKey> = []
    /// The members of the objects being read, innermost last: an object's members are pushed
    /// as they are read and popped when its dictionary is built. One array for the whole
    /// document, so reading an object does not grow an array of its own member by member.
    private var members: [JSONObject.Member] = []

    /// Past one leading byte order mark and the white space before the value, as every reader
    /// of a whole document starts.
    private mutating func skipByteOrderMarkAndWhitespace() {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
        skipWhitespace()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, tracksPath: Bool = false) {
        self.bytes = bytes
        self.tracksPath = tracksPath
    }

    /// The value in `bytes`, or nil if they are not one JSON value (surrounded by whitespace).
    /// `bytes` must be valid UTF-8 (strings are taken from the bytes as they are, and invalid
    /// UTF-8 would be repaired silently, not refused), so callers outside go through
    /// ``parse(validatingUTF8:)``.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed? {
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        parser.skipByteOrderMarkAndWhitespace()
        guard let value = parser.parseValue() else { return nil }
        parser.skipWhitespace()
        guard parser.offset == parser.bytes.count else { return nil }
        return Parsed(value: value, hasDuplicateKeys: parser.hasDuplicateKeys)
    }

    /// The first key given twice in one object of `bytes` (in document order, keys compared as
    /// the parser compares them: unescaped, as Swift strings), read as ``parse(_:)`` reads; nil
    /// if there is none. Documents with one are rare (``Parsed/hasDuplicateKeys`` says when to
    /// ask), so the path is tracked only here. A duplicate found before the document turned out
    /// not to be JSON is still reported.
    static func firstDuplicateKey(in bytes: UnsafeRawBufferPointer) -> DuplicateKey? {
        duplicateKeys(in: bytes, shallowDepth: 0).first
    }

    /// The first key given twice in `bytes` (``firstDuplicateKey(in:)``), and every key given
    /// twice in an object at most `shallowDepth` keys or indexes deep: whether a field was given
    /// twice, when another was before it (`[]` and `id`: the top level's `id`).
    public static func duplicateKeys(in bytes: UnsafeRawBufferPointer, shallowDepth: Int) -> DuplicateKeys {
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self), tracksPath: true)
        parser.shallowDepth = shallowDepth
        parser.skipByteOrderMarkAndWhitespace()
        _ = parser.parseValue()
        return DuplicateKeys(first: parser.firstDuplicate, shallow: parser.shallowDuplicates)
    }

    /// The members of `bytes` if they are valid UTF-8 and one JSON object, each with the range
    /// of its value's text, for a caller that hands a value on as it was written (`name#key`: a
    /// number keeps every digit); nil otherwise. Of a key given twice the last counts, as for
    /// Python's `json`, jq, JavaScript's `JSON.parse` and Go (and this delegate's first release).
    public static func objectMembers(validatingUTF8 bytes: UnsafeRawBufferPointer) -> ObjectMembers? {
        guard isValidUTF8(bytes) else { return nil }
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        parser.memberRanges = [:]
        parser.skipByteOrderMarkAndWhitespace()
        guard parser.peek() == UInt8(ascii: "{"), case .object? = parser.parseValue() else { return nil }
        parser.skipWhitespace()
        guard parser.offset == parser.bytes.count, let members = parser.memberRanges else { return nil }
        return ObjectMembers(members: members)
    }

    /// Where ``parse(_:)`` stops in `bytes` (valid UTF-8), or nil if they are one JSON value.
    /// Read again for the refusal only: the parse itself keeps no position.
    public static func stop(in bytes: UnsafeRawBufferPointer) -> Stop? {
        var parser = JSONParser(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        parser.skipByteOrderMarkAndWhitespace()
        let blank = parser.offset == parser.bytes.count
        if parser.parseValue() != nil {
            parser.skipWhitespace()
            if parser.offset == parser.bytes.count { return nil }
        }
        let offset = min(parser.offset, parser.bytes.count)
        let lineStart = parser.bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = 1 + parser.bytes[..<offset].count { $0 == 0x0A }
        let reason: Stop.Reason =
            blank
            ? .empty : parser.stopReason == .syntax && offset == parser.bytes.count ? .cutShort : parser.stopReason
        return Stop(offset: offset, line: line, column: offset - lineStart + 1, reason: reason)
    }

    /// The value in `bytes` if they are valid UTF-8 and one JSON value; nil otherwise.
    public static func parse(validatingUTF8 bytes: UnsafeRawBufferPointer) -> Parsed? {
        isValidUTF8(bytes) ? parse(bytes) : nil
    }

    /// Whether `bytes` are valid UTF-8, checked in place (no copy of what may be a secret).
    public static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        (try? UTF8Span(validating: bytes.assumingMemoryBound(to: UInt8.self).span)) != nil
    }

    // MARK: Values

    private mutating func parseValue() -> JSONValue? {
        guard let byte = peek() else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return parseObject()
        case UInt8(ascii: "["): return parseArray()
        case UInt8(ascii: "\""): return parseString().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return parseNumber()
        default: return nil
        }
    }

    private mutating func parseObject() -> JSONValue? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        offset += 1
        // Members are collected first and the dictionary built once at its final size: adding
        // to it key by key grew it several times and hashed every key twice.
        if members.capacity == 0 { members.reserveCapacity(16) }
        let firstMember = members.count
        // Keys seen so far, only where a duplicate must be known before its value is read: for
        // the first duplicate in document order (not one inside this key's value).
        let tracksKeys = tracksPath
        var seen = Set<JSONKey>()
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(JSONObject()) }
        while true {
            guard peek() == UInt8(ascii: "\""), let key = parseString() else { return nil }
            let isDuplicate = tracksKeys && !seen.insert(JSONKey(key)).inserted
            if isDuplicate, tracksPath {
                if firstDuplicate == nil { firstDuplicate = DuplicateKey(path: path, key: key) }
                if path.count <= shallowDepth { shallowDuplicates.insert(DuplicateKey(path: path, key: key)) }
            }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            if tracksPath { path.append(.key(key)) }
            let valueStart = offset
            guard let value = parseValue() else { return nil }
            if tracksPath { path.removeLast() }
            // Of a key given twice, the last one's text.
            if depth == 1, memberRanges != nil {
                memberRanges?[JSONKey(key)] = ObjectMembers.Member(value: value, textRange: valueStart..<offset)
            }
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return object(from: firstMember) }
            guard consume(UInt8(ascii: ",")) else { return nil }
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return object(from: firstMember) }
        }
    }

    /// The object of `members[first...]`, which are popped; of a key given twice (the same bytes:
    /// ``JSONKey``) the first is kept, and `hasDuplicateKeys` is set.
    private mutating func object(from first: Int) -> JSONValue {
        // Copied into a buffer of the object's own size, and popped with no slice or array still
        // sharing the stack's buffer: `Array` of a slice spanning the whole stack (an object begun
        // with the stack empty) shares the stack's buffer, capacity and all, and a removal from a
        // shared buffer copies the whole stack.
        var own: [JSONObject.Member] = []
        own.reserveCapacity(members.count - first)
        if Self.hasDuplicateKey(members[first...]) {
            hasDuplicateKeys = true
            var seen = Set<JSONKey>(minimumCapacity: members.count - first)
            own.append(contentsOf: members[first...].lazy.filter { seen.insert(JSONKey($0.key)).inserted })
        } else {
            own.append(contentsOf: members[first...])
        }
        members.removeLast(members.count - first)
        return .object(JSONObject(uniqueMembers: own))
    }

    /// Whether two of `members` have the same key (``JSONKey``): compared pairwise in a small
    /// object (most have a handful of members, and hashing each key cost more), through a set in
    /// a large one.
    private static func hasDuplicateKey(_ members: ArraySlice<JSONObject.Member>) -> Bool {
        if members.count > 16 {
            var seen = Set<JSONKey>(minimumCapacity: members.count)
            return !members.allSatisfy { seen.insert(JSONKey($0.key)).inserted }
        }
        var index = members.startIndex
        while index < members.endIndex {
            let key = members[index].key
            var other = members.index(after: index)
            while other < members.endIndex {
                if JSONKey.same(members[other].key, key) { return true }
                other += 1
            }
            index += 1
        }
        return false
    }

    private mutating func parseArray() -> JSONValue? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        offset += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(array) }
        while true {
            if tracksPath { path.append(.index(array.count)) }
            guard let value = parseValue() else { return nil }
            if tracksPath { path.removeLast() }
            array.append(value)
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .array(array) }
            guard consume(UInt8(ascii: ",")) else { return nil }
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .array(array) }
        }
    }

    private mutating func enter() -> Bool {
        depth += 1
        if depth > Self.maximumDepth {
            depth -= 1
            stopReason = .tooDeep
            return false
        }
        return true
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { return nil }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { return nil }
        offset += count
        return value
    }

    // MARK: Numbers

    private mutating func parseNumber() -> JSONValue? {
        let start = offset
        let negative = consume(UInt8(ascii: "-"))
        guard let first = peek(), isDigit(first) else { return nil }
        let integerStart = offset
        offset += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        let integerDigits = integerStart..<offset
        var fractionDigits = offset..<offset
        if consume(UInt8(ascii: ".")) {
            let fractionStart = offset
            guard skipDigits() > 0 else { return nil }
            fractionDigits = fractionStart..<offset
        }
        var exponent: Int?
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            let negativeExponent = !consume(UInt8(ascii: "+")) && consume(UInt8(ascii: "-"))
            let exponentStart = offset
            guard skipDigits() > 0 else { return nil }
            // Saturated far beyond anything a 1 MiB task can offset with its digits.
            var magnitude = 0
            for byte in bytes[exponentStart..<offset] { magnitude = min(magnitude * 10 + Int(byte - 48), 1 << 40) }
            exponent = negativeExponent ? -magnitude : magnitude
        }
        let lexeme = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        let isWhole = fractionDigits.isEmpty && exponent == nil
        if isWhole, let integer = Int64(lexeme) { return .integer(integer) }
        // A number past a `Double`'s range is valid JSON; a task may not hold one, but a secret
        // read for one of its fields (``objectMembers(validatingUTF8:)``) hands on any field as
        // written, so there it is kept (as an infinity) rather than failing every field.
        guard let number = Double(lexeme), number.isFinite || memberRanges != nil else {
            (offset, stopReason) = (start, .numberOutOfRange)
            return nil
        }
        if !isWhole,
            let integer = Self.wholeNumber(
                number, negative: negative, integerDigits: bytes[integerDigits], fractionDigits: bytes[fractionDigits],
                exponent: exponent ?? 0)
        {
            return .integer(integer)
        }
        return .number(number)
    }

    /// The integer Foundation's `JSONDecoder` reads for a number written with a fraction or an
    /// exponent, whose `Double` is `number`; nil when it reads none (the value stays a `Double`).
    ///
    /// The `Double` must be a whole number `Int64` holds; below 2^53 it is the value. From 2^53 up
    /// the decimal written is taken instead, as Foundation's `Decimal` holds it: digits while the
    /// mantissa fits 128 bits (the rest dropped, not rounded), trailing zeros removed, a mantissa
    /// that fits 64 bits, scaled by its power of ten with the fraction cut off. (Foundation stops
    /// the process on some numbers there, such as `0.<150 zeros>1e168`, whose exponent `Decimal`
    /// cannot hold; this reads their exact value.)
    static func wholeNumber(
        _ number: Double, negative: Bool, integerDigits: Slice<UnsafeBufferPointer<UInt8>>,
        fractionDigits: Slice<UnsafeBufferPointer<UInt8>>, exponent: Int
    ) -> Int64? {
        guard let whole = Int64(exactly: number) else { return nil }
        if number.magnitude < 0x1p53 { return whole }
        var mantissa: UInt128 = 0
        var scale = exponent
        var full = false
        func accumulate(_ byte: UInt8) -> Bool {
            let (times10, overflow) = mantissa.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt128(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return false }
            mantissa = sum
            return true
        }
        for byte in integerDigits {
            if full || !accumulate(byte) {
                full = true
                scale += 1
            }
        }
        for byte in fractionDigits {
            guard !full, accumulate(byte) else { break }
            scale -= 1
        }
        while mantissa != 0, mantissa % 10 == 0 {
            mantissa /= 10
            scale += 1
        }
        guard var magnitude = UInt64(exactly: mantissa) else { return nil }
        if scale < 0 {
            for _ in 0..<min(-scale, 20) { magnitude /= 10 }
        } else if magnitude != 0 {
            for _ in 0..<min(scale, 20) {
                let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                magnitude = product
            }
            if scale > 20 { return nil }
        }
        guard let value = Int64(exactly: magnitude) else { return nil }
        return negative ? -value : value
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = offset
        while let byte = peek(), isDigit(byte) { offset += 1 }
        return offset - start
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: Strings

    /// A string at `offset` (which holds its opening quote).
    private mutating func parseString() -> String? {
        offset += 1
        let start = offset
        // Fast path: no escapes, the bytes are the string.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                offset += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { return nil }
            offset += 1
        }
        guard offset < bytes.count else { return nil }
        var utf8 = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                offset += 1
                guard appendEscape(to: &utf8) else { return nil }
            case 0..<0x20:
                return nil
            default:
                utf8.append(byte)
                offset += 1
            }
        }
        return nil
    }

    /// The escape after a backslash (at `offset`), appended as UTF-8.
    private mutating func appendEscape(to utf8: inout [UInt8]) -> Bool {
        guard let byte = peek() else { return false }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hexUnit() else { return false }
            var scalar: Unicode.Scalar?
            switch unit {
            case 0xD800...0xDBFF:
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = hexUnit(),
                    (0xDC00...0xDFFF).contains(low)
                else {
                    stopReason = .loneSurrogate
                    return false
                }
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            case 0xDC00...0xDFFF:
                stopReason = .loneSurrogate
                return false
            default:
                scalar = Unicode.Scalar(unit)
            }
            guard let scalar else { return false }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            return false
        }
        return true
    }

    /// Four hex digits at `offset`.
    private mutating func hexUnit() -> UInt16? {
        guard bytes.count - offset >= 4 else { return nil }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
            offset += 1
        }
        return unit
    }

    // MARK: Bytes

    private func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            offset += 1
        }
    }
}
