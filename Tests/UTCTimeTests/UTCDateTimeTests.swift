import Foundation
import Testing
import UTCTime

@Suite struct UTCDateTimeTests {
    /// From 1601 on: before the Gregorian reform Foundation's calendar counts Julian days.
    @Test func fieldsAgreeWithFoundationCalendarAndRoundTrip() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: -11_644_473_600_000...250_000_000_000_000, using: &generator)
            // Half a millisecond in, so that binary fractions cannot round across a millisecond.
            let date = Date(timeIntervalSince1970: (Double(milliseconds) + 0.5) / 1000)
            let time = UTCDateTime(date)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            #expect(
                [time.year, time.month, time.day, time.hour, time.minute, time.second]
                    == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map { $0 ?? -1 },
                "at \(milliseconds) ms")
            #expect(Int64(time.millisecond) == ((milliseconds % 1000) + 1000) % 1000, "at \(milliseconds) ms")
            let seconds = UTCDateTime.epochSeconds(
                year: Int64(time.year), month: Int64(time.month), day: Int64(time.day), hour: Int64(time.hour),
                minute: Int64(time.minute), second: Int64(time.second))
            #expect(seconds * 1000 + Int64(time.millisecond) == milliseconds, "at \(milliseconds) ms")
            #expect(time.daysSinceEpoch == Int((seconds - Int64(time.hour * 3600 + time.minute * 60 + time.second)) / 86_400))
        }
    }

    /// The basic form (SigV4's) is the extended one without separators and milliseconds, checked
    /// against Foundation's formatter.
    @Test func basicTimestampMatchesFoundationsFormatter() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...250_000_000_000, using: &generator)))
            var bytes = [UInt8](repeating: 0, count: 16)
            bytes.withUnsafeMutableBytes { UTCDateTime(date).writeBasicTimestamp(into: $0) }
            #expect(String(decoding: bytes, as: UTF8.self) == formatter.string(from: date))
        }
        var edge = [UInt8](repeating: 0, count: 16)
        edge.withUnsafeMutableBytes { UTCDateTime(Date(timeIntervalSince1970: -1e18)).writeBasicTimestamp(into: $0) }
        #expect(String(decoding: edge, as: UTF8.self) == "00000101T000000Z")
    }

    @Test func iso8601IsClampedAndCutNotRounded() {
        #expect(UTCDateTime(Date(timeIntervalSince1970: 0)).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: -0.0005)).iso8601 == "1969-12-31T23:59:59.999Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: 1e18)).iso8601 == "9999-12-31T23:59:59.999Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: -1e18)).iso8601 == "0000-01-01T00:00:00.000Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: .nan)).iso8601 == "1970-01-01T00:00:00.000Z")
        // A time on a millisecond is written as that millisecond (a Date keeps it exactly enough);
        // one below it is not rounded up.
        #expect(UTCDateTime(Date(timeIntervalSince1970: 1.001)).iso8601 == "1970-01-01T00:00:01.001Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: 1_764_831_605.123)).iso8601 == "2025-12-04T07:00:05.123Z")
        #expect(UTCDateTime(Date(timeIntervalSince1970: 1.0009994)).iso8601 == "1970-01-01T00:00:01.000Z")
    }

    /// Every millisecond of a second survives being written and read back: a present-day one,
    /// and seconds where a Double holds many a millisecond a hair under its value (2004, 2038).
    @Test(arguments: [1_796_367_605, 1_094_470_460, 2_150_000_000] as [Double])
    func everyMillisecondRoundTrips(second: Double) throws {
        for millisecond in 0..<1000 {
            let date = Date(timeIntervalSince1970: second + Double(millisecond) / 1000)
            #expect(UTCDateTime(date).millisecond == millisecond, "\(second) + \(millisecond) ms")
        }
    }

    @Test func daysInAMonthFollowTheGregorianLeapYears() {
        #expect(UTCDateTime.daysIn(month: 2, of: 2024) == 29)
        #expect(UTCDateTime.daysIn(month: 2, of: 2023) == 28)
        #expect(UTCDateTime.daysIn(month: 2, of: 2000) == 29)
        #expect(UTCDateTime.daysIn(month: 2, of: 1900) == 28)
        #expect(UTCDateTime.daysIn(month: 4, of: 2024) == 30)
        #expect(UTCDateTime.daysIn(month: 12, of: 2024) == 31)
    }

    @Test(arguments: [0, -0.0005, 1e18, -1e18, 1_764_700_000.123, 951_782_400.999])
    func appendedBytesAreTheISO8601String(seconds: Double) {
        let date = UTCDateTime(Date(timeIntervalSince1970: seconds))
        var bytes = Array("at ".utf8)
        date.appendISO8601(to: &bytes)
        #expect(bytes == Array("at ".utf8) + Array(date.iso8601.utf8))
    }
}
