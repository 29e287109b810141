import Testing

@testable import HTTP

/// Field names compare without regard to ASCII case, and only ASCII letters fold.
@Suite struct HTTPHeadersTests {
    @Test func lookupsAndReplacementsIgnoreTheCaseOfNames() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-Amz-Target": "a", "x-amz-TARGET": "b"]
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["X-AMZ-TARGET"] == "a", "the first of two fields with one name")
        #expect(headers["Content-Length"] == nil)

        headers.replaceOrAdd(name: "x-amz-target", value: "c")
        #expect(headers.fields.map(\.name) == ["Content-Type", "x-amz-target"])
        #expect(headers["X-Amz-Target"] == "c")
    }

    @Test func aSequenceThatCountsAllItsFields() {
        let headers: HTTPHeaders = ["A": "1", "B": "2", "C": "3"]
        #expect(headers.underestimatedCount == 3)
        #expect(headers.map(\.name) == ["A", "B", "C"])
        #expect(HTTPHeaders().underestimatedCount == 0)
    }

    @Test func onlyASCIILettersFold() {
        #expect(HTTPHeaders.namesEqual("Expect", "eXPECT"))
        #expect(HTTPHeaders.namesEqual("X-1_2.3", "x-1_2.3"))
        #expect(!HTTPHeaders.namesEqual("a[", "a{"), "0x5B and 0x7B differ by the case bit but are not letters")
        #expect(!HTTPHeaders.namesEqual("a@", "a`"))
        #expect(!HTTPHeaders.namesEqual("Expect", "Expects"))
        #expect(!HTTPHeaders.namesEqual("", "a"))
    }
}
