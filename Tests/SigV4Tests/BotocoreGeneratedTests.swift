import SigV4
import Testing

/// The project's own vectors for `?flag` query parameters, produced by botocore
/// (see `Fixtures/botocore-generated/README.md`).
@Suite struct BotocoreGeneratedTests {
    static let cases = Fixtures.caseNames(in: "botocore-generated")

    @Test func casesArePresent() {
        #expect(Self.cases == ["get-query-flag", "get-query-flag-mixed"])
    }

    @Test(arguments: cases)
    func reproducesBotocore(_ name: String) throws {
        try VectorCheck.run(folder: "botocore-generated/\(name)")
    }
}
