import Foundation
import SigV4
import Testing

/// The older AWS suite as botocore ships it (`.req/.creq/.sts/.authz`). Its requests already
/// carry `X-Amz-Date`, so these cases also prove the signer signs an existing date header as
/// is and does not add a second one.
@Suite struct LegacySuiteTests {
    static let set = "legacy-aws4_testsuite-botocore"

    /// Case paths relative to the set, e.g. `get-vanilla` or `normalize-path/get-space`.
    static let cases: [String] = {
        let root = Fixtures.root.appendingPathComponent(set)
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".req") }.map { ($0 as NSString).deletingLastPathComponent }.sorted()
    }()

    static let longToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    @Test func suiteIsComplete() {
        #expect(Self.cases.count == 34)
    }

    @Test(arguments: cases)
    func reproducesLegacyVector(_ path: String) throws {
        let name = (path as NSString).lastPathComponent
        let base = "\(Self.set)/\(path)/\(name)"
        let raw = try RawRequest(parsing: Array(Fixtures.data("\(base).req")))
        var token: String?
        var options = SigV4Options()
        switch name {
        case "get-vanilla-with-session-token":
            token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        case "post-sts-header-after":
            token = Self.longToken
            options.omitSessionToken = true
        default:
            break
        }
        let credentials = Credentials(
            accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token
        )
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")

        let signed = try signer.sign(raw.sigV4Request, date: Date(timeIntervalSince1970: 1_440_938_160), options: options)

        #expect(signed.canonicalRequest == (try Fixtures.text("\(base).creq")))
        #expect(signed.stringToSign == (try Fixtures.text("\(base).sts")))
        #expect(signed.authorization == (try Fixtures.text("\(base).authz")))
        #expect(!signed.headersToAdd.contains { $0.name == "X-Amz-Date" })
        if let token {
            #expect(signed.headersToAdd.contains { $0 == (name: "X-Amz-Security-Token", value: token) })
        }
    }
}
