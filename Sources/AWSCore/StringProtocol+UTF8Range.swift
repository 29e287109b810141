extension StringProtocol {
    /// The first occurrence of `target`'s UTF-8 bytes in this text, at or after `start`.
    ///
    /// Matching bytes, not `Character`s, finds a tag or a secret even where the text around it
    /// joins it into a grapheme cluster (a combining mark after it). Both texts are valid UTF-8,
    /// so a match starts and ends on Unicode scalar boundaries and slices cleanly.
    func utf8Range(of target: some StringProtocol, from start: String.Index? = nil) -> Range<String.Index>? {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return nil }
        let bytes = utf8
        var from = start ?? bytes.startIndex
        while let candidate = bytes[from...].firstIndex(of: first) {
            if bytes[candidate...].starts(with: needle) {
                return candidate..<bytes.index(candidate, offsetBy: needle.count)
            }
            from = bytes.index(after: candidate)
        }
        return nil
    }
}
