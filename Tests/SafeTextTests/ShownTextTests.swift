import SafeText
import Testing

@Suite struct ShownTextTests {
    /// C0 controls, DEL, C1 controls and bidirectional overrides and isolates are shown as
    /// `\u{..}`; every other scalar (accents, emoji, a no-break space) as itself.
    @Test func controlsAndBidirectionalOverridesAreShownEscaped() {
        #expect(ShownText.escaped("a\u{1B}[31m\n\t\u{7F}") == #"a\u{1b}[31m\u{a}\u{9}\u{7f}"#)
        #expect(
            ShownText.escaped("\u{9B}\u{85}\u{2028}\u{2029}\u{202A}\u{202E}\u{2066}\u{2069}")
                == #"\u{9b}\u{85}\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}"#)
        // The bidirectional marks too (Arabic letter mark, left-to-right and right-to-left marks).
        #expect(ShownText.escaped("a\u{61C}b\u{200E}c\u{200F}") == #"a\u{61c}b\u{200e}c\u{200f}"#)
        #expect(ShownText.escaped("é😀\u{A0}\u{A0}\u{2027}\u{202F}\u{206A}\u{200D}") == "é😀\u{A0}\u{A0}\u{2027}\u{202F}\u{206A}\u{200D}")
    }

    /// Quoted for a message: the quote mark and backslash escaped, the rest shown as above, cut
    /// after `limit` scalars.
    @Test func quotedTextEscapesItsMarkAndIsCutShort() {
        #expect(ShownText.quoted(#"say "hi"\"#, limit: 64) == #""say \"hi\"\\""#)
        #expect(ShownText.quoted("it's\u{202E}", mark: "'", limit: 64) == #"'it\'s\u{202e}'"#)
        #expect(ShownText.quoted("abcdef", limit: 3) == #""abc...""#)
        #expect(ShownText.quoted("", limit: 3) == "\"\"")
    }

    /// Cut by bytes, at a scalar boundary: one character of a letter and many combining marks is
    /// bounded too; a text within the bound is kept whole.
    @Test func aPrefixIsBoundedInBytes() {
        #expect(ShownText.prefix("abc", bytes: 3) == "abc")
        #expect(ShownText.prefix("abcd", bytes: 3) == "abc")
        #expect(ShownText.prefix("aé", bytes: 2) == "a", "not half of é")
        #expect(ShownText.prefix("😀x", bytes: 3) == "")
        let marked = "x" + String(repeating: "\u{301}", count: 1_000)
        #expect(marked.count == 1)
        #expect(ShownText.prefix(marked, bytes: 128).utf8.count == 127)
    }
}
