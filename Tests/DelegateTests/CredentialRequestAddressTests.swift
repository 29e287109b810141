import Logging
import Testing

@testable import Delegate
@testable import TaskQueue

/// The address systemd's credential helper binds (section 11), parsed strictly.
@Suite struct CredentialRequestAddressTests {
    func parse(_ name: String, abstract: Bool = true) throws(CredentialRequestAddress.Problem) -> CredentialRequestAddress {
        try CredentialRequestAddress.parse((abstract ? [0] : []) + Array(name.utf8))
    }

    @Test func systemdsAddressNamesTheUnitAndTheID() throws {
        #expect(
            try parse("1f3a9c0d2e4b5a69/unit/app.service/db-password")
                == CredentialRequestAddress(unit: "app.service", id: "db-password"))
        // PRIx64 prints no leading zeros: 1 to 16 digits.
        #expect(try parse("0/unit/app.service/x").unit == "app.service")
        #expect(try parse("a/unit/getty@tty1.service/token.v2").unit == "getty@tty1.service")
        let built = CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db")
        #expect(try CredentialRequestAddress.parse(built) == CredentialRequestAddress(unit: "app.service", id: "db"))
    }

    /// The fields on every line about a request, the server's own (an answer cut short) too.
    @Test func aRequestIsDescribedByItsUnitAndCredentialID() {
        let peer = PeerCredentials(pid: 1, uid: 0, gid: 0)
        let systemd = CredentialSocketServer.Request(
            peer: peer, sunPath: CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db"))
        #expect(CredentialIntake.describe(systemd) == ["unit": "app.service", "credential_id": "db"])
        let other = CredentialSocketServer.Request(peer: peer, sunPath: Array("\0x/units/app.service/db".utf8))
        #expect(CredentialIntake.describe(other).isEmpty)
    }

    @Test(arguments: [
        "", "1f3a/unit/app.service", "1f3a/units/app.service/db", "1F3A/unit/app.service/db",
        "12345678901234567/unit/app.service/db", "0abc/unit/app.service/db", "xyz/unit/app.service/db",
        "/unit/app.service/db", "1f3a/unit/app.service/db/extra", "1f3a/unit//db",
    ])
    func otherShapesAreMalformed(_ name: String) {
        #expect(throws: CredentialRequestAddress.Problem.self) { try parse(name) }
    }

    @Test func unboundPathAndInvalidPartsAreRefusedWithTheirReason() {
        #expect(throws: CredentialRequestAddress.Problem.notAbstract) { try CredentialRequestAddress.parse([]) }
        #expect(throws: CredentialRequestAddress.Problem.notAbstract) {
            try parse("/run/1f3a/unit/app.service/db", abstract: false)
        }
        #expect(throws: CredentialRequestAddress.Problem.invalidUnit) { try parse("1f3a/unit/app/db") }
        #expect(throws: CredentialRequestAddress.Problem.invalidUnit) { try parse("1f3a/unit/a pp.service/db") }
        #expect(throws: CredentialRequestAddress.Problem.invalidID) { try parse("1f3a/unit/app.service/..") }
        #expect(throws: CredentialRequestAddress.Problem.invalidID) { try parse("1f3a/unit/app.service/a\u{1}b") }
        #expect(throws: CredentialRequestAddress.Problem.malformed) {
            try CredentialRequestAddress.parse([0] + Array("1f3a/unit/app.service/db".utf8) + [0])
        }
        #expect(throws: CredentialRequestAddress.Problem.malformed) {
            try CredentialRequestAddress.parse([0, 0x31, 0xff, 0x2f])
        }
    }

    @Test func credentialIDsFollowSystemd() {
        #expect(CredentialMapping.isValidID("db-password"))
        #expect(CredentialMapping.isValidID(String(repeating: "x", count: 255)))
        #expect(!CredentialMapping.isValidID(String(repeating: "x", count: 256)))
        for id in ["", ".", "..", "a/b", "tab\tid", "a:b", "db\u{85}pw", "x\u{9B}y", "caf\u{E9}", "del\u{7F}"] {
            #expect(!CredentialMapping.isValidID(id), "\(id)")
        }
        #expect(CredentialMapping.isValidID("a b~!@#$%^&*()+=[]{}|;'\",<>?`"), "printable ASCII but / and :")
    }
}
