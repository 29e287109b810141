import Foundation
import SigV4
import Testing

/// The hand-written epoch → `yyyyMMdd'T'HHmmss'Z'` conversion, seen through `SignedRequest.amzDate`.
@Suite struct AMZDateTests {
    static let signer = SigV4Signer(
        credentials: Credentials(accessKeyId: "AKID", secretAccessKey: "secret"), region: "us-east-1", service: "s")
    static let request = SigV4Request(method: "GET", headers: [(name: "Host", value: "h")])

    static func amzDate(_ seconds: Double) throws -> String {
        try signer.sign(request, date: Date(timeIntervalSince1970: seconds)).amzDate
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"),
        (1_440_938_160.999, "20150830T123600Z"),  // fractions are cut, never rounded up
        (951_782_400, "20000229T000000Z"),  // leap day of a year divisible by 400
        (4_107_542_399, "21000228T235959Z"),  // 2100 is not a leap year
        (4_107_542_400, "21000301T000000Z"),
        (-1, "19691231T235959Z"),
        (-0.5, "19691231T235959Z"),
        (253_402_300_799, "99991231T235959Z"),
        (1e18, "99991231T235959Z"),  // clamped, no overflow
        (-1e18, "00000101T000000Z"),
        (Double.nan, "19700101T000000Z"),
    ])
    func knownTimes(_ seconds: Double, _ expected: String) throws {
        #expect(try Self.amzDate(seconds) == expected)
    }

    @Test func agreesWithFoundationCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: -2_000_000_000...8_000_000_000, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            func pad(_ value: Int?, _ width: Int) -> String {
                let text = String(value ?? -1)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            let expected =
                pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + "T" + pad(parts.hour, 2)
                + pad(parts.minute, 2) + pad(parts.second, 2) + "Z"
            #expect(try Self.amzDate(seconds) == expected, "at \(seconds)")
        }
    }
}
