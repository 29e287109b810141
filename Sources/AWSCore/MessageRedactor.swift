import JSON

/// Makes text that came from AWS, or that mentions a request, safe for logs and results.
///
/// Some AWS endpoints explain a signature mismatch by quoting the canonical request and the
/// string to sign, which can contain a session token; those parts are cut. Any known secret
/// (secret key, session token, signature, a value the call marked sensitive) still present is
/// replaced, as it is and as a JSON string spells it (``spellings(of:)``), and only then is the
/// length bounded, so that no cut can leave part of a secret. The spellings are worked out only
/// when a message is redacted, which is on failures alone.
public struct MessageRedactor: Sendable {
    /// At most this many Unicode scalars (so that no one character made of thousands of
    /// combining marks gets through), the cut marked with `...`.
    public static let maxLength = 1024
    private static let cutMarkers = ["The Canonical String for this request", "The String-to-Sign should have been"]

    private let secrets: [String]

    public init(secrets: [String?]) {
        // A value read from a file often ends in a newline that a message quoting it drops: the
        // value without white space at its ends is looked for too (with the same 4-byte minimum).
        self.secrets = secrets.compactMap { $0 }.flatMap { secret in
            let trimmed = secret.trimmingCharacterWhitespace()
            return trimmed.utf8.count == secret.utf8.count ? [secret] : [secret, trimmed]
        }.filter { $0.utf8.count >= 4 }
    }

    public func redact(_ message: String) -> String {
        // Secrets first: white space trimmed off the message's end could be a secret's last byte.
        let replaced = Self.replacing(secrets.flatMap(Self.spellings), in: message)
        var text = Substring(replaced)
        for marker in Self.cutMarkers {
            if let range = text.utf8.firstRange(of: marker.utf8) { text = text[..<range.lowerBound] }
        }
        return Self.bounded(String(text).trimmingTrailingCharacterWhitespace())
    }

    /// Whether `text` holds a secret in any spelling ``redact(_:)`` looks for: for a short field
    /// (an error code, a request id) that is dropped whole rather than marked.
    public func finds(in text: String) -> Bool {
        !Self.ranges(of: secrets.flatMap(Self.spellings), in: Array(text.utf8)).isEmpty
    }

    /// Whether `field`, a short one a successful answer carries (its request id), holds one of
    /// `secrets` in a spelling ``finds(in:)`` looks for; cheaply, as every call that succeeded
    /// asks. A secret is spelled out only if it could be there: it fits (no spelling is shorter
    /// than its secret; one that may end in white space may be looked for trimmed), and its
    /// longest run of bytes no spelling escapes (printable ASCII but space, `"`, `\\`, `/`, `&`,
    /// `<` and `>`, none of them trimmed) is in the field. None of a key, token or signature fits in AWS's
    /// 36-character request ids.
    public static func any(of secrets: [String?], isIn field: String) -> Bool {
        let bytes = Array(field.utf8)
        var suspects: [String] = []
        for case let secret? in secrets {
            let utf8 = secret.utf8
            guard utf8.count <= bytes.count || mayEndInWhiteSpace(utf8) else { continue }
            let couldBeThere =
                utf8.withContiguousStorageIfAvailable { longestUnescapedRun(in: $0, isIn: bytes) } ?? true
            if couldBeThere { suspects.append(secret) }
        }
        return !suspects.isEmpty && MessageRedactor(secrets: suspects).finds(in: field)
    }

    /// Whether `utf8` starts or ends with a byte of white space, or of a scalar that may be
    /// (any non-ASCII one): then its trimmed form, shorter, is looked for too.
    private static func mayEndInWhiteSpace(_ utf8: String.UTF8View) -> Bool {
        guard let first = utf8.first, let last = utf8.last else { return false }
        return first <= 0x20 || first >= 0x80 || last <= 0x20 || last >= 0x80
    }

    /// Whether the longest run of `secret`'s bytes that every spelling keeps as they are and
    /// trimming never removes (printable ASCII but space, `"`, `\\`, `/`, and `&`, `<`, `>`, which
    /// Go escapes) occurs in `field`; true when there is no such run.
    private static func longestUnescapedRun(in secret: UnsafeBufferPointer<UInt8>, isIn field: [UInt8]) -> Bool {
        var best = 0..<0
        var start = 0
        for index in 0...secret.count where index == secret.count || !isUnescaped(secret[index]) {
            if index - start > best.count { best = start..<index }
            start = index + 1
        }
        guard !best.isEmpty else { return true }
        let run = UnsafeBufferPointer(rebasing: secret[best])
        guard run.count <= field.count else { return false }
        for offset in 0...(field.count - run.count) where field[offset] == run[0] {
            if field[offset..<offset + run.count].elementsEqual(run) { return true }
        }
        return false
    }

    private static func isUnescaped(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
            && byte != UInt8(ascii: "/")
            && byte != UInt8(ascii: "&") && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
    }

    /// `text` with every byte range any of `targets` covers replaced by one `<redacted>`: the
    /// ranges of all targets are found first and joined where they overlap or touch, so that
    /// neither one target inside another nor two that overlap leaves a part of either. The match
    /// is on UTF-8 bytes, not `Character`s (a secret followed by a combining mark is still
    /// found); both sides are valid UTF-8, so no range splits a scalar.
    static func replacing(_ targets: [[UInt8]], in text: String) -> String {
        let bytes = Array(text.utf8)
        var ranges = Self.ranges(of: targets, in: bytes)
        guard !ranges.isEmpty else { return text }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var copied = 0
        var current = ranges[0]
        for range in ranges.dropFirst() + [bytes.count..<bytes.count] {
            if range.lowerBound <= current.upperBound, range.lowerBound < bytes.count {
                current = current.lowerBound..<max(current.upperBound, range.upperBound)
                continue
            }
            out += bytes[copied..<current.lowerBound]
            out += Self.marker
            copied = current.upperBound
            current = range
        }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Every byte range of `bytes` that one of `targets` covers, overlapping ones included.
    private static func ranges(of targets: [[UInt8]], in bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for target in targets where !target.isEmpty {
            var start = 0
            while start < bytes.count, let found = bytes[start...].firstRange(of: target) {
                ranges.append(found)
                start = found.lowerBound + 1
            }
        }
        return ranges
    }

    private static let marker = Array("<redacted>".utf8)

    /// How `secret` can appear in a message, as UTF-8 bytes: as it is, and as a JSON string
    /// spells it, which an error body or a proxy that quotes the request may do. A JSON string
    /// escapes quotes, backslashes and control characters (`\u001b` or `\u001B`), and may also
    /// write `/` as `\/` (as Foundation's encoder does: a base64 value, a session token) or every
    /// scalar outside printable ASCII as `\uxxxx` (Python's `json.dumps`, lowercase hex; Jackson's
    /// ASCII mode, uppercase, which leaves DEL as it is), or `&`, `<`, `>`, U+2028 and U+2029 as
    /// `\u0026`... (Go's `encoding/json`), or as this project's own writer does (``JSONValue/writeString(_:into:)``:
    /// DEL, C1 controls, U+2028/U+2029 and U+FFFE/U+FFFF escaped, other non-ASCII as it is; the
    /// spelling of a result sent to SQS). A JSON text carried as a string in another, as a task or
    /// a result is in an SQS request's `MessageBody`, spells its strings twice: each spelling
    /// that escapes something is spelled again. Distinct by their bytes: two spellings that differ
    /// only in Unicode normalization are both kept. None is shorter than the secret.
    static func spellings(of secret: String) -> [[UInt8]] {
        let once = spelledOnce(secret)
        var spellings = Set(once)
        for spelling in once where spelling.count != secret.utf8.count || !spelling.elementsEqual(secret.utf8) {
            spellings.formUnion(spelledOnce(String(decoding: spelling, as: UTF8.self)))
        }
        return Array(spellings)
    }

    /// `secret` as it is and as one JSON string spells it.
    private static func spelledOnce(_ secret: String) -> [[UInt8]] {
        var spellings: Set<[UInt8]> = [Array(secret.utf8)]
        var written: [UInt8] = []
        JSONValue.writeString(secret, into: &written)
        spellings.insert(Array(written.dropFirst().dropLast()))
        for escapingSlash in [false, true] {
            // Nothing non-ASCII escaped; from DEL on (Python's `ensure_ascii`); from U+0080 on (Jackson).
            for escapingFrom in [nil, 0x7F, 0x80] as [UInt32?] {
                for uppercase in [false, true] {
                    spellings.insert(
                        Array(
                            jsonSpelling(
                                of: secret, escapingSlash: escapingSlash, escapingFrom: escapingFrom,
                                uppercase: uppercase
                            ).utf8))
                }
            }
        }
        // Go's: HTML's characters and the two line separators escaped, other non-ASCII as it is.
        spellings.insert(
            Array(
                jsonSpelling(of: secret, escapingSlash: false, escapingFrom: nil, uppercase: false, escapingHTML: true)
                    .utf8))
        return Array(spellings)
    }

    /// What Go's `encoding/json` escapes besides JSON's own: HTML's characters and the line separators.
    private static let htmlEscaped: Set<Unicode.Scalar> = ["&", "<", ">", "\u{2028}", "\u{2029}"]

    /// `text` as a JSON string spells it, without its quotes: `escapingFrom` the first scalar
    /// written as `\uxxxx` past printable ASCII (nil: none), `escapingHTML` also `&`, `<`, `>`,
    /// U+2028 and U+2029.
    private static func jsonSpelling(
        of text: String, escapingSlash: Bool, escapingFrom: UInt32?, uppercase: Bool, escapingHTML: Bool = false
    ) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlash: out += "\\/"
            case _ where escapingHTML && Self.htmlEscaped.contains(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                guard scalar.value < 0x20 || escapingFrom.map({ scalar.value >= $0 }) == true else {
                    out.unicodeScalars.append(scalar)
                    continue
                }
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: uppercase)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return out
    }

    /// `message` cut to at most ``maxLength`` Unicode scalars, the cut marked with `...`.
    static func bounded(_ message: String) -> String {
        let scalars = message.unicodeScalars
        guard scalars.count > maxLength else { return message }
        var cut = String.UnicodeScalarView(scalars.prefix(maxLength - 3))
        cut.append(contentsOf: "...".unicodeScalars)
        return String(cut)
    }
}

/// Trimmed by `Character.isWhitespace` (graphemes), not by the package's `trimmingWhitespace()`
/// (Foundation's scalar set): a secret's trimmed copy and the message's end as they were always cut.
extension String {
    fileprivate func trimmingCharacterWhitespace() -> String {
        var copy = Substring(self)
        while let first = copy.first, first.isWhitespace { copy.removeFirst() }
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return String(copy)
    }

    fileprivate func trimmingTrailingCharacterWhitespace() -> String {
        var copy = self
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return copy
    }
}
