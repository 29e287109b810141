import DelegateClient
import Testing

@Suite struct ProcessArgumentsTests {
    /// The command's words are taken from the end of argv byte for byte, bytes that are not UTF-8
    /// included, when they are the words the parser read there.
    @Test func theCommandKeepsItsBytesFromArgv() {
        let argv: [[UInt8]] = [Array("secrets-delegate".utf8), Array("--".utf8), Array("od".utf8), [0xFF, 0xFE, 0x78]]
        let parsed = ["od", String(decoding: [0xFF, 0xFE, 0x78] as [UInt8], as: UTF8.self)]
        #expect(ProcessArguments.trailing(parsed, of: argv) == [Array("od".utf8), [0xFF, 0xFE, 0x78]])
    }

    /// A command that is not the end of argv (words that read otherwise, or more words than argv
    /// has) is passed as its UTF-8.
    @Test func aCommandNotFromArgvIsItsUTF8() {
        let argv: [[UInt8]] = [Array("secrets-delegate".utf8), Array("od".utf8)]
        #expect(ProcessArguments.trailing(["cat"], of: argv) == [Array("cat".utf8)])
        #expect(ProcessArguments.trailing(["a", "b", "od"], of: argv) == [[0x61], [0x62], Array("od".utf8)])
        #expect(ProcessArguments.trailing([], of: argv) == [])
    }

    /// An argument that is not UTF-8 is quoted as the terminal may show it: its bad bytes as
    /// U+FFFD, its controls, line separators and bidirectional overrides escaped, and cut.
    @Test func anArgumentThatIsNotUTF8IsQuotedSafely() throws {
        let argument = [0xFF] + Array("\u{202E}\u{9B}31m".utf8) + Array(repeating: UInt8(ascii: "x"), count: 200)
        let problem = try #require(ProcessArguments.notUTF8Problem([Array("secrets-delegate".utf8), Array("get".utf8), argument]))
        #expect(problem.hasPrefix(#"argument 2 is not UTF-8 ("\#u{FFFD}\u{202e}\u{9b}31m"#), "\(problem)")
        #expect(!problem.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x9B }, "\(problem)")
        #expect(problem.contains("x...\")") && problem.utf8.count < 200, "\(problem)")
    }

    /// A variable name that is none is quoted the same way in `--env`'s usage error.
    @Test func aVariableNameThatIsNoneIsQuotedSafely() {
        let error = #expect(throws: EnvironmentExec.Failure.self) {
            try EnvironmentExec.Binding(parsing: "A\u{9B}31mB\u{2028}C=prod:db")
        }
        #expect(error?.description == #"--env: "A\u{9b}31mB\u{2028}C" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"#, "\(String(describing: error))")
    }
}
