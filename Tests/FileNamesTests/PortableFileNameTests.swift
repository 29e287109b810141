import FileNames
import Testing

@Suite struct PortableFileNameTests {
    @Test(arguments: [
        ("a", true), ("build-4711.db_password", true), (String(repeating: "x", count: 128), true),
        (".hidden", true), ("a..b", true),
        ("", false), (".", false), ("..", false), (String(repeating: "x", count: 129), false),
        ("a/b", false), ("a b", false), ("ä", false), ("a~b", false), ("a\u{0}b", false),
    ])
    func names(_ name: String, _ valid: Bool) {
        #expect(PortableFileName.isValid(name) == valid)
        #expect(PortableFileName.isValid(Array(name.utf8)) == valid)
    }

    @Test func onlyOneAndTwoDotsAreRefused() {
        #expect(PortableFileName.isValid("..."))
        #expect(PortableFileName.isValid(".a."))
        #expect(!PortableFileName.isValid(".", maxLength: 1))
        #expect(!PortableFileName.isValid(".."))
    }

    @Test func theCharacterSetIsExactlyPOSIXPortable() {
        let portable = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(PortableFileName.isPortable(byte) == portable.contains(byte), "byte \(byte)")
        }
        #expect(!PortableFileName.isPortable(Unicode.Scalar(0x100 + 0x41)!))
        #expect(PortableFileName.isValid(String(repeating: "y", count: 255), maxLength: 255))
    }
}
