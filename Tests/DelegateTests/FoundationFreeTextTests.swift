import AWSCore
import Foundation
import JSON
import Testing

@testable import Delegate

/// The daemon links FoundationEssentials only; the few text helpers that replaced Foundation's
/// are checked here against Foundation itself (tests still link it), not against written answers.
@Suite struct FoundationFreeTextTests {
    static let paths = [
        "/etc/secrets-delegate/delegate.toml", "conf/delegate.toml", "/delegate.toml", "/", "/etc/secrets-delegate/",
        "/etc//secrets-delegate/delegate.toml", "./delegate.toml", "a/b/c/", "a//b",
    ]

    @Test(arguments: paths) func directoryOfAPathIsFoundations(path: String) {
        #expect(DelegateConfiguration.directory(of: path) == (path as NSString).deletingLastPathComponent)
    }

    /// Where `NSString` gave the empty string: a bare file name is in `.`, so `--config
    /// delegate.toml` reads `./connectors.d`, next to the file, not `/connectors.d`.
    @Test func aBareFileNameIsInTheWorkingDirectory() {
        #expect(("delegate.toml" as NSString).deletingLastPathComponent == "")
        #expect(DelegateConfiguration.directory(of: "delegate.toml") == ".")
        #expect(DelegateConfiguration.directory(of: "") == ".")
    }

    static let texts = [
        "  value  ", "\tvalue\t", "value", "", "   ", " \n value \r\n", "\u{A0}value\u{3000}", "\u{2003}a b\u{2009}",
        "\u{85}value\u{2028}", "\u{0B}\u{0C}value\u{0C}", "é ", " \u{1F600} ", "a\u{200B}", "\u{2029}\n",
        " \u{301}a", "a \u{301}", "\u{180E}a\u{180E}", "\r\n a \r\n", "\u{FEFF}a", "\u{1680}a\u{205F}",
    ]

    @Test(arguments: texts) func trimmingIsFoundations(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `status` prints the delegate's answer indented: two spaces a level, keys sorted.
    @Test func prettyTextIndentsSortedKeys() throws {
        let parsed = try #require(Data(#"{"b":[1,{"y":null,"x":"a/b"}],"a":{},"c":[],"d":"\n"}"#.utf8).withUnsafeBytes {
            JSONParser.parse(validatingUTF8: $0)
        })
        #expect(
            parsed.value.prettyText == """
                {
                  "a": {},
                  "b": [
                    1,
                    {
                      "x": "a/b",
                      "y": null
                    }
                  ],
                  "c": [],
                  "d": "\\n"
                }
                """)
        // Read back, it is the same value.
        let again = try #require(Data(parsed.value.prettyText.utf8).withUnsafeBytes { JSONParser.parse(validatingUTF8: $0) })
        #expect(again.value == parsed.value)
    }
}
