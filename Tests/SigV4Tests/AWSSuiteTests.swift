import Foundation
import SigV4
import Testing

/// AWS's SigV4 test suite (aws-c-auth `v4/`), header-based signing, byte for byte.
@Suite struct AWSSuiteTests {
    static let cases = Fixtures.caseNames(in: "v4")

    @Test func suiteIsComplete() {
        #expect(Self.cases.count == 38)
    }

    @Test(arguments: cases)
    func reproducesVector(_ name: String) throws {
        try VectorCheck.run(folder: "v4/\(name)")
    }

    /// The `*-unnormalized` cases are S3-style; S3 signs the path single-encoded. Their paths
    /// contain no escapes, so single and double encoding must agree on them.
    @Test(arguments: cases.filter { $0.hasSuffix("-unnormalized") })
    func unnormalizedCasesAlsoPassWithS3Encoding(_ name: String) throws {
        let folder = "v4/\(name)"
        let context = try FixtureContext.load("\(folder)/context.json")
        let raw = try RawRequest(parsing: Array(Fixtures.data("\(folder)/request.txt")))
        let signer = SigV4Signer(
            credentials: context.sigV4Credentials, region: context.region, service: context.service)
        var options = context.options
        options.doubleEncodePath = false

        let signed = try signer.sign(raw.sigV4Request, date: try context.date, options: options)

        #expect(signed.signature == (try Fixtures.text("\(folder)/header-signature.txt")))
    }
}
