/// Text from elsewhere (a peer's error message, a task's field, a path) made safe to show in one
/// line on a terminal or in the journal: control characters (C0, DEL, and C1 codes such as CSI,
/// which start a terminal's escape sequences), the line and paragraph separators, and
/// bidirectional marks, overrides and isolates (which reorder what a reader sees) are shown as
/// `\u{..}`, never written as they are.
public enum ShownText {
    /// Whether `scalar` is shown escaped rather than as itself.
    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        kind(of: scalar) != nil
    }

    /// What an escaped scalar is, for a refusal that names it; nil for one shown as itself.
    public static func kind(of scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F: "a control character"
        case 0x2028...0x2029: "a line or paragraph separator"
        case 0x061C, 0x200E...0x200F, 0x202A...0x202E, 0x2066...0x2069: "a bidirectional formatting character"
        default: nil
        }
    }

    /// `scalar` as shown: `\u{1b}` for an escaped one, else itself.
    public static func shown(_ scalar: Unicode.Scalar) -> String {
        isEscaped(scalar) ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
    }

    /// `text` with every escaped scalar shown as `\u{..}`, but for those it is to `keep` (the
    /// journal's line feeds and tabs, say). Printable ASCII is returned as it is, without a copy.
    public static func escaped(_ text: String, keeping keep: Set<Unicode.Scalar> = []) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if keep.contains(scalar) { result.unicodeScalars.append(scalar) } else { result += shown(scalar) }
        }
        return result
    }

    /// `text` cut to at most `limit` UTF-8 bytes, at a scalar boundary: a bound on what a value
    /// from elsewhere costs a log line, however it is made (one character can be a letter and
    /// any number of combining marks, so a bound in characters bounds nothing).
    public static func prefix(_ text: String, bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            count += UTF8.width(scalar)
            if count > limit { break }
            kept.append(scalar)
        }
        return String(kept)
    }

    /// `text` between `mark`s for a message: the mark and the backslash escaped with a
    /// backslash, every other scalar as ``shown(_:)`` shows it, cut after `limit` scalars (`...`
    /// marks the cut).
    public static func quoted(_ text: String, mark: Unicode.Scalar = "\"", limit: Int) -> String {
        var out = String(mark)
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == limit {
                out += "..."
                break
            }
            if scalar == mark || scalar == "\\" {
                out += "\\" + String(scalar)
            } else {
                out += shown(scalar)
            }
        }
        return out + String(mark)
    }
}
