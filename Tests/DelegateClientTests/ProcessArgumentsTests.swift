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
}
