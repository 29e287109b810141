import DelegateClient
import Foundation
import Testing

/// The front binary's base64 decoding agrees with Foundation's `Data(base64Encoded:)`, which the
/// full binary used before for `secretBinary`.
@Suite struct Base64Tests {
    @Test func decodesWhatFoundationEncodesForEveryLengthAndByte() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            #expect(Base64.decode(text) == bytes, "length \(length)")
        }
        let every = Data((0...255).map { UInt8($0) })
        #expect(Base64.decode(every.base64EncodedString()) == Array(every))
    }

    @Test(arguments: [
        "QQ=", "Q===", "QQ==QQ==", "QQ\n==", "QQ =", "Q=Q=", "@@@@", "QUJD-_==", "QUJDRA", "QUJDRA=",
        "AAAA=AAA", "QUJD\r\n", "QUI",
    ])
    func refusesWhatFoundationRefuses(text: String) {
        #expect(Data(base64Encoded: text) == nil, "Foundation accepts \(text.debugDescription)")
        #expect(Base64.decode(text) == nil)
    }

    @Test(arguments: ["", "QQ==", "QUI=", "QUJD", "QR==", "QUJ=", "+/+/", "AAAA"])
    func decodesWhatFoundationDecodesAlike(text: String) {
        let foundation = Data(base64Encoded: text).map(Array.init)
        #expect(foundation != nil, "Foundation refuses \(text.debugDescription)")
        #expect(Base64.decode(text) == foundation)
    }

    /// Where Foundation is lenient, this decoder is not: padding only at the end, and not four
    /// of it. The delegate writes `secretBinary` as canonical base64, so neither form reaches it.
    @Test(arguments: ["====", "QQ=A"])
    func refusesPaddingFoundationTolerates(text: String) {
        #expect(Data(base64Encoded: text) != nil, "Foundation now refuses \(text.debugDescription) too")
        #expect(Base64.decode(text) == nil)
    }
}
