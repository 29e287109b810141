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
        self.secrets = secrets.compactMap { $0 }.filter { $0.utf8.count >= 4 }
    }

    public func redact(_ message: String) -> String {
        var text = Substring(message)
        for marker in Self.cutMarkers {
            if let range = text.utf8.firstRange(of: marker.utf8) { text = text[..<range.lowerBound] }
        }
        var result = String(text).trimmingTrailingWhitespace()
        // Longest first across all secrets: one secret inside another (a write value holding a
        // key) must not be replaced first, which would leave the rest of the outer one.
        for spelling in Set(secrets.flatMap(Self.spellings)).sorted(by: { $0.utf8.count > $1.utf8.count }) {
            result = result.replacingOccurrences(of: spelling, with: "<redacted>")
        }
        return Self.bounded(result)
    }

    /// How `secret` can appear in a message: as it is, and as a JSON string spells it, which an
    /// error body or a proxy that quotes the request may do. A JSON string escapes quotes,
    /// backslashes and control characters, and may also write `/` as `\/` (as Foundation's
    /// encoder does: a base64 value, a session token) or every scalar outside printable ASCII as
    /// `\uxxxx` (Python's `json.dumps`, lowercase hex; Jackson's ASCII mode, uppercase).
    static func spellings(of secret: String) -> Set<String> {
        var spellings: Set<String> = [secret]
        for escapingSlash in [false, true] {
            for hex in [nil, HexCase.lower, .upper] {
                spellings.insert(jsonSpelling(of: secret, escapingSlash: escapingSlash, asciiOnly: hex))
            }
        }
        return spellings
    }

    enum HexCase { case lower, upper }

    /// `asciiOnly`: every scalar outside printable ASCII as `\uxxxx`, in this case; nil: as itself.
    private static func jsonSpelling(of text: String, escapingSlash: Bool, asciiOnly: HexCase?) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlash: out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                guard scalar.value < 0x20 || (asciiOnly != nil && scalar.value > 0x7E) else {
                    out.unicodeScalars.append(scalar)
                    continue
                }
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: asciiOnly == .upper)
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

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var copy = self
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return copy
    }

    /// Every occurrence of `target`'s UTF-8 bytes replaced, whatever characters they sit in (a
    /// secret followed by a combining mark is still found: the match is on bytes, not on
    /// `Character`s; both are valid UTF-8, so a match never splits a scalar).
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, utf8.firstRange(of: target.utf8) != nil else { return self }
        return String(decoding: Array(utf8).replacing(Array(target.utf8), with: Array(replacement.utf8)), as: UTF8.self)
    }
}
