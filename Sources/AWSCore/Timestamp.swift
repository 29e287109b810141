import struct FoundationEssentials.Date
import UTCTime

/// ISO 8601 UTC timestamps: written with milliseconds (`2026-11-21T12:00:00.042Z`, the form
/// results use), read with or without a fraction (as IMDS and STS send `Expiration`).
///
/// Formatting is plain arithmetic (`UTCDateTime`), so writing thousands of results a second
/// never builds a `DateFormatter`.
public enum Timestamp {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (milliseconds rounded down).
    public static func format(_ date: Date) -> String {
        UTCDateTime(date).iso8601
    }

    /// Appends `format(date)`'s UTF-8 to `bytes`, making no string.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        UTCDateTime(date).appendISO8601(to: &bytes)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, as `format` writes (and as a client reading
    /// results needs). Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...UTCDateTime.daysIn(month: month, of: year)).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 21, bytes.count <= 30,
                let digits = number(20..<(bytes.count - 1))
            else { return nil }
            fraction = Double(digits) / pow10(bytes.count - 21)
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        let whole = UTCDateTime.epochSeconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let seconds = Double(whole) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    private static func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
