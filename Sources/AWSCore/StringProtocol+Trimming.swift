/// Foundation's `trimmingCharacters(in:)` for the two sets the delegate trims by, without
/// Foundation: AWS error codes here, configuration values, tags and key files in `Delegate`.
extension StringProtocol {
    /// The text without leading and trailing spaces: the Unicode scalars of Foundation's
    /// `CharacterSet.whitespaces` (general category Zs, tab, and U+200B ZERO WIDTH SPACE), taken
    /// one scalar at a time as `trimmingCharacters(in: .whitespaces)` took them.
    package func trimmingSpaces() -> String {
        trimmed(Self.isSpace)
    }

    /// The text without leading and trailing spaces and line breaks (U+000A-U+000D, U+0085,
    /// U+2028, U+2029), as `trimmingCharacters(in: .whitespacesAndNewlines)`.
    package func trimmingWhitespace() -> String {
        trimmed { Self.isSpace($0) || Self.isLineBreak($0) }
    }

    /// Whether ``trimmingWhitespace()`` leaves nothing, without making the trimmed copy.
    package var isBlank: Bool {
        unicodeScalars.allSatisfy { Self.isSpace($0) || Self.isLineBreak($0) }
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\u{200B}" || scalar.properties.generalCategory == .spaceSeparator
    }

    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        ("\n"..."\r").contains(scalar) || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private func trimmed(_ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }),
            let last = scalars.lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
