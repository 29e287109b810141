import Foundation
import TestSupport
import Testing

@testable import Delegate

/// toml++ (under TOMLKit) asserts, aborting the process, on some malformed TOML. These tests
/// load such input in-process: if any of it reached the assertion the test runner would die.
@Suite struct TOMLSyntaxCheckTests {
    /// Loads `text` and returns the configuration error, or nil if it loaded.
    static func loadError(_ text: String) -> ConfigurationError? {
        do {
            _ = try DelegateConfiguration.load(tomlText: text, environment: [:], hostName: "h")
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["[\u{1}]\n", "[é]\n", "[[\u{1}]]\n", "[ \u{1}]\n"])
    func theReportedInputsAreConfigurationErrorsNamingTheLine(text: String) throws {
        let error = try #require(Self.loadError(text))
        #expect(error.key == nil)
        #expect(error.reason.hasPrefix("TOML syntax error at line 1, column "), "\(error)")
    }

    /// A value without quotes may be a secret pasted in (a line of an AWS credentials file): the
    /// error says where it is and how long, never what it is.
    @Test func aValueWithoutQuotesIsNotShown() throws {
        let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
        let error = try #require(Self.loadError("[credentials]\ndirectory = \(secret)\n"))
        #expect(error.reason.contains("line 2"), "\(error)")
        #expect(error.reason.contains("\(secret.count) characters without quotes"), "\(error)")
        #expect(!error.description.contains("wJalr"), "\(error)")
    }

    /// Every character U+0000...U+00FF where toml++ expects a key: as the first character of
    /// a table header, of an array table header, after `[ `, after a dot, and of a key. None
    /// of these is a configuration the delegate accepts (a `#` only starts a comment).
    @Test func everyCharacterWhereAKeyStartsIsAConfigurationError() {
        let templates = ["[@]\n", "[[@]]\n", "[ @]\n", "[[ @]]\n", "[\t@]\n", "[delegate.@]\n", "[delegate]\n@ = 1\n"]
        var refused = 0
        for template in templates {
            for scalar in (UInt32(0)...0xFF).compactMap(Unicode.Scalar.init) {
                let text = template.replacingOccurrences(of: "@", with: String(Character(scalar)))
                if Self.loadError(text) != nil {
                    refused += 1
                } else {
                    #expect(scalar == "#" && template.hasPrefix("[delegate]"), "\(text.debugDescription) loaded")
                }
            }
        }
        #expect(refused == templates.count * 256 - 1)
    }

    /// The same bytes raw in a file: 0x80...0xFF alone are not UTF-8 and are refused as such
    /// (`# = 1` is a comment, so `#` is left out).
    @Test func everyRawByteInAFileIsAnErrorNotACrash() throws {
        let directory = try TemporaryDirectory(prefix: "sd-toml")
        let path = directory.path("config.toml")
        for template in ["[@]\n", "[[@]]\n", "[ @]\n", "@ = 1\n"] {
            let parts = template.split(separator: "@", omittingEmptySubsequences: false)
            for byte in UInt8(0)...0xFF where byte != UInt8(ascii: "#") {
                let data = Data(parts[0].utf8) + [byte] + Data(parts[1].utf8)
                try data.write(to: URL(fileURLWithPath: path))
                #expect(throws: ConfigurationError.self, "\(Array(data))") {
                    _ = try DelegateConfiguration.load(path: path, requireFile: true, environment: [:], hostName: "h")
                }
            }
        }
    }

    /// Characters around values, strings, numbers and dates, including the inputs that made
    /// toml++ assert outside table headers (`[}]`, U+2028 in an array, `1979-05-27 0`).
    @Test func everyCharacterAroundValuesIsAnErrorOrLoadsNotACrash() {
        let templates = [
            "a = @1\n", "a = 1@\n", "a = [1 @]\n", "a = [1,@]\n", "a = [[@]]\n", "a = { @ = 1}\n", "a = {b.@ = 1}\n",
            "a = \"@\"\n", "a = '@'\n", "a = \"\"\"@\"\"\"\n", "a = '''@'''\n", "# @\n", "[a]@\n", "a = 1 @",
            "a = 0x@\n", "a = 1e@\n", "a = 1.@\n", "a = +@\n", "a = \"\\@\"\n", "a = \"\\u@\"\n", "a = 1_@\n",
            "a = 1979-05-27@\n", "a = 1979-05-27 @\n", "a = 1979-05-27T@\n", "a = 07:32:00@\n", "\"@\" = 1\n",
            "[\"@\"]\n", "a = {a = {@}}\n", "[[a]]\n[[@]]\n", "[a. @]\n", "a.@ = 1\n", "[delegate]\nname = @\n",
            "[delegate]\ntags = [@]\n", "[delegate]\ntags = [\"a\", @]\n", "[delegate]\ntags = [\n@]\n", "a = {@}\n",
            "a = {b = 1, @}\n", "[@", "@",
        ]
        let extra: [Unicode.Scalar] = ["\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{3000}", "\u{FEFF}", "\u{1F600}"]
        for template in templates {
            for scalar in (UInt32(0)...0xFF).compactMap(Unicode.Scalar.init) + extra {
                _ = Self.loadError(template.replacingOccurrences(of: "@", with: String(Character(scalar))))
            }
        }
    }

    /// Random sequences of TOML tokens and awkward characters, from a fixed seed.
    @Test func randomTokenSoupIsAnErrorOrLoadsNotACrash() {
        var generator = SplitMix64(seed: 15)
        for _ in 0..<5000 {
            _ = Self.loadError(TOMLTokenSoup.make(using: &generator))
        }
    }

    @Test func legitimateTOMLStillLoads() throws {
        let toml =
            "\u{FEFF}# Configuration — ünïcode in a comment\t\r\n"
                + """
                [delegate] # a comment after a header
                name = "backend-1"
                tags = [
                  'literal',  # comment in an array: ☃
                  "ünï\\u00e9\\U0001F600 ☃",
                  \"\"\"multi \\
                     line\"\"\",
                  '''raw \\ "quoted"''',
                ]
                "accept_untagged" = false
                concurrency = +1_6

                [ queue ]
                rescan_interval_seconds = 2.5e0
                socket_allowed_groups = ["ops", 0x10]

                [aws]
                connect_timeout_seconds = 1.5

                """
        let configuration = try DelegateConfiguration.load(tomlText: toml, environment: [:], hostName: "h")
        #expect(configuration.delegate.name == "backend-1")
        #expect(configuration.delegate.tags == ["literal", "ünïé😀 ☃", "multi line", #"raw \ "quoted""#])
        #expect(configuration.delegate.acceptUntagged == false)
        #expect(configuration.delegate.concurrency == 16)
        #expect(configuration.queue.rescanIntervalSeconds == 2.5)
        #expect(configuration.queue.socketAllowedGroups == ["ops", "16"])
        #expect(configuration.aws.connectTimeoutSeconds == 1.5)

        let dotted = try DelegateConfiguration.load(
            tomlText: "delegate.name = 'x'\n\"delegate\" . tags = [ ]\nqueue = { rescan_interval_seconds = 1 }\n",
            environment: [:], hostName: "h")
        #expect(dotted.delegate.name == "x")
        #expect(dotted.queue.rescanIntervalSeconds == 1)
    }

    @Test(arguments: [
        ("[delegate]\nname = \"a\"\n[\u{1}]\n", "line 3, column 2: expected a key"),
        ("[delegate]\nname = \"a\" # \u{0}\n", "line 2, column 14: control character U+0000 in a comment"),
        ("[delegate]\nname = \"a\u{7F}\"\n", "line 2, column 10: control character U+007F in a string"),
        ("[delegate]\ntags = [}]\n", "line 2, column 9: expected a value, saw '}'"),
        ("[delegate]\ntags = [\u{2028}]\n", "line 2, column 9: expected a value, saw U+2028"),
        ("[delegate]\nname = 1979-05-27 0\n", "line 2, column 8: dates and times are not used"),
        ("[ [delegate]]\n", "line 1, column 3: expected a key"),
        ("[delegate]\r\nname = 'a'\r", "line 2, column 11: a carriage return must be followed by a line feed"),
        ("[delegate]\nname = \"\\e\"\n", "line 2, column 10: '\\' followed by 'e' is not a TOML escape"),
        ("[delegate]\nconcurrency = 016\n", "line 2, column 15: \"016\" is not a number"),
        ("[delegate]\nname = \"a\nb\"\n", "line 2, column 10: the string is not closed on its line"),
        ("a = {b = 1,}\n", "line 1, column 12: expected a key"),
        ("a = " + String(repeating: "[", count: 100), "nested more than 32 deep"),
        ("a" + String(repeating: ".a", count: 16) + " = 1\n", "line 1, column 33: a dotted key has more than 16 parts"),
        ("[a" + String(repeating: " . a", count: 16) + "]\n", "a dotted key has more than 16 parts"),
        ("[delegate]\nname = \"a\\u0000b\"\n", "line 2, column 11: \\u escape of NUL"),
        ("[delegate]\n\"concurrency\\U00000000x\" = 5\n", "line 2, column 14: \\U escape of NUL"),
    ])
    func refusedInputNamesLineAndColumn(text: String, reason: String) throws {
        let error = try #require(Self.loadError(text))
        #expect(error.reason.hasPrefix("TOML syntax error at "), "\(error)")
        #expect(error.reason.contains(reason), "\(error)")
    }
}

extension TOMLSyntaxCheckTests {
    /// toml++ makes a table for each part of a dotted key and walks them recursively: 300,000
    /// parts (600 KB, within the 1 MiB a configuration may be) overflowed the stack and killed
    /// the process. Sixteen parts are still TOML (here an unknown section, not a syntax error).
    @Test func aDeeplyDottedKeyIsAnErrorNotACrash() throws {
        let parts = String(repeating: "a.", count: 300_000)
        for text in [parts + "a = 1\n", "[" + parts + "a]\n", "[[" + parts + "a]]\n"] {
            let error = try #require(Self.loadError(text))
            #expect(error.reason.contains("a dotted key has more than 16 parts"))
        }
        let sixteen = try #require(Self.loadError(String(repeating: "a.", count: 15) + "a = 1\n"))
        #expect(!sixteen.reason.hasPrefix("TOML syntax error"), "\(sixteen)")
    }
}

/// A small deterministic generator, so the random inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TOMLTokenSoup {
    static let tokens = [
        "[", "]", "[[", "]]", "{", "}", "=", ",", ".", " ", "\t", "\n", "\r\n", "#", "\"", "'", "\"\"\"", "'''", "a",
        "delegate", "tags", "1", "0x1", "1.5", "true", "inf", "nan", "1979-05-27", "T", "07:32:00", "Z", "+", "-", "_",
        "\\", "\\u", "\u{1}", "\u{7F}", "é", "\u{2028}", "\u{85}", "\u{A0}", "\u{FEFF}", "\u{B}", "\u{C}", "\r", "e",
        ":", "\u{0}",
    ]

    static func make(using generator: inout some RandomNumberGenerator) -> String {
        (0..<Int.random(in: 1...12, using: &generator)).map { _ in
            tokens[Int.random(in: 0..<tokens.count, using: &generator)]
        }.joined()
    }
}
